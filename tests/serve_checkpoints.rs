//! The server checkpoints the audit log on its own: after every
//! `checkpoint_every` entries made over SSH a signed checkpoint appears in
//! `[audit] checkpoint_dir` and is posted to the webhook; OpenSSH and
//! `steward audit verify` both accept it.

#[path = "digest_peers/mod.rs"]
mod digest_peers;
mod serve_support;

use digest_peers::Hook;
use serve_support::*;
use std::path::{Path, PathBuf};
use std::process::Output;

fn checkpoint(s: &Setup, size: u64) -> PathBuf {
    s.path().join(format!("checkpoints/checkpoint-{size:012}"))
}

fn decide(server: &Server, key: &Path, person: &str, entitlement: &str) {
    let out = server.ssh(key, &["decide", "accept", person, entitlement]);
    assert!(out.status.success(), "{}", text(&out.stderr));
}

/// `ssh-keygen -Y verify` of `file` against the server's signer line.
fn openssh_verifies(s: &Setup, server: &Server, key: &Path, file: &Path) -> Output {
    let signer = server.ssh(key, &["audit", "signer"]);
    assert!(signer.status.success(), "{}", text(&signer.stderr));
    let allowed = s.path().join("allowed_signers");
    std::fs::write(&allowed, &signer.stdout).unwrap();
    std::process::Command::new("ssh-keygen")
        .args(["-Y", "verify", "-f"])
        .arg(&allowed)
        .args(["-I", "steward", "-n", "steward-audit", "-s"])
        .arg(format!("{}.sig", file.display()))
        .stdin(std::fs::File::open(file).unwrap())
        .output()
        .unwrap()
}

#[test]
fn checkpoints_are_written_every_n_entries_posted_and_verify() {
    let s = Setup::new();
    let hook = Hook::start();
    s.write_config(&[]);
    let mut config = std::fs::read_to_string(s.config()).unwrap();
    config.push_str(&format!(
        "\n[audit]\ncheckpoint_dir = \"checkpoints\"\ncheckpoint_every = 2\ncheckpoint_webhook = \"{}\"\n",
        hook.url
    ));
    std::fs::write(s.config(), config).unwrap();
    let priya = s.key("priya");
    s.register("priya", &priya);
    let server = s.start();
    assert!(
        server
            .banner
            .iter()
            .any(|l| l.starts_with("audit checkpoints into ")
                && l.contains("every 2 entries")
                && l.contains("webhook")),
        "{:?}",
        server.banner
    );

    decide(&server, &priya, "ana", "pay-db:read");
    decide(&server, &priya, "bo", "pay-db:read");
    assert!(
        eventually(|| checkpoint(&s, 2).is_file()),
        "no checkpoint after 2 entries"
    );
    decide(&server, &priya, "cto", "billing:read");
    decide(&server, &priya, "omar", "billing:read");
    assert!(
        eventually(|| checkpoint(&s, 4).is_file()),
        "no checkpoint after 4 entries"
    );
    assert!(
        !checkpoint(&s, 3).exists(),
        "3 entries are 1 past the last checkpoint, not 2"
    );

    // Each went to the webhook, as written.
    assert!(
        eventually(|| hook.bodies.lock().unwrap().len() == 2),
        "{:?}",
        hook.bodies.lock().unwrap()
    );
    let posted: Vec<serde_json::Value> = hook
        .bodies
        .lock()
        .unwrap()
        .iter()
        .map(|b| serde_json::from_str(b).unwrap())
        .collect();
    for (body, size) in posted.iter().zip([2u64, 4]) {
        assert_eq!(body["size"], size);
        let file = checkpoint(&s, size);
        assert_eq!(body["checkpoint"], std::fs::read_to_string(&file).unwrap());
        assert_eq!(
            body["signature"],
            std::fs::read_to_string(format!("{}.sig", file.display())).unwrap()
        );
    }

    // OpenSSH checks the signature with the server's signer line.
    for size in [2, 4] {
        let ssh = openssh_verifies(&s, &server, &priya, &checkpoint(&s, size));
        assert!(ssh.status.success(), "{}", text(&ssh.stderr));
    }
    // And steward checks the log against each.
    let mut verify = s.local_cmd();
    verify.args(["audit", "verify"]);
    for size in [2, 4] {
        verify.arg("--checkpoint").arg(checkpoint(&s, size));
    }
    let out = verify.output().unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let said = text(&out.stdout);
    assert!(
        said.contains("holds: the log extends its 2 entries"),
        "{said}"
    );
    assert!(
        said.contains("holds: the log extends its 4 entries"),
        "{said}"
    );
}
