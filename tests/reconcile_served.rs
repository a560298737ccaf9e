//! `steward serve` reconciles by itself: after each scheduled sync, what
//! the automatic rules imply is carried out, with no one asking.

mod serve_support;

use serve_support::*;

#[test]
fn the_server_carries_out_automatic_rules_after_each_sync() {
    let s = Setup::new();
    let rules = s.org().join("rules.toml");
    let text = std::fs::read_to_string(&rules).unwrap();
    std::fs::write(
        &rules,
        text.replace(
            "id = \"pay-read\"\n",
            "id = \"pay-read\"\napply = \"auto\"\n",
        ),
    )
    .unwrap();
    std::fs::write(
        s.config(),
        "[[source]]\nkind = \"files\"\ndir = \"org\"\nevery = \"1s\"\n\n[serve]\nkeys = \"people.keys\"\nadmins = [\"cto\"]\n",
    )
    .unwrap();
    let server = Server::start(&s, &[]);
    assert!(
        server
            .banner
            .iter()
            .any(|l| l.starts_with("automatic rules reconciled after each sync")),
        "{:?}",
        server.banner
    );
    let grants = s.org().join("grants.csv");
    let granted = |who: &str| {
        std::fs::read_to_string(&grants)
            .unwrap_or_default()
            .lines()
            .any(|l| {
                l.starts_with(&format!("{who},pay-db:read,priya,")) && l.contains(",rule:pay-read,")
            })
    };
    assert!(
        eventually(|| granted("ana") && granted("bo")),
        "never granted:\n{}",
        std::fs::read_to_string(&grants).unwrap_or_default()
    );
    // Only the automatic rule acted: the others' grants wait for a person.
    let text = std::fs::read_to_string(&grants).unwrap();
    assert!(!text.contains("ops:console,omar,2026"), "{text}");
    assert!(!text.contains("billing:read"), "{text}");
    drop(server);
    let audit = text_of(&s.local(&["audit", "export", "--jsonl"]).stdout);
    let autos = audit
        .lines()
        .filter(|l| l.contains("\"action\":\"auto\""))
        .count();
    // ana, bo and priya (her own access, by her own rule) once each.
    assert_eq!(autos, 3, "{audit}");
}

fn text_of(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}
