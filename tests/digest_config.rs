//! The `[digest]` section of steward.toml: channels, routing, and every
//! problem named with its line; no literal secrets.

use std::path::Path;
use steward::config::{DigestRoute, SmtpSecurity, parse};

fn cfg(text: &str) -> steward::config::Config {
    parse(text, Path::new("/etc/steward.toml")).unwrap()
}

#[test]
fn a_complete_digest_section_validates_and_routes_each_person() {
    let c = cfg(r#"
me = "priya"

[digest.smtp]
host = "smtp.acme.test"
username = "steward"
password_env = "STEWARD_SMTP_PASSWORD"
from = "steward <steward@acme.test>"

[[digest.webhook]]
name = "oncall"
url_env = "ONCALL_HOOK"
people = ["omar"]

[[digest.webhook]]
name = "everyone-else"
url = "https://hooks.acme.test/x"
people = ["*"]
"#);
    assert!(
        c.sources().unwrap().is_empty(),
        "a [digest] is not an unknown key"
    );
    let d = c.digest().unwrap().unwrap();
    let smtp = d.smtp.as_ref().unwrap();
    assert_eq!((smtp.port, smtp.security), (587, SmtpSecurity::StartTls));
    assert_eq!(smtp.password_env.as_deref(), Some("STEWARD_SMTP_PASSWORD"));
    assert!(matches!(d.route("omar"), Some(DigestRoute::Webhook(w)) if w.name == "oncall"));
    assert!(matches!(d.route("priya"), Some(DigestRoute::Webhook(w)) if w.name == "everyone-else"));

    let only_mail =
        cfg("[digest.smtp]\nhost = \"mail\"\nsecurity = \"tls\"\nfrom = \"s@acme.test\"\n");
    let d = only_mail.digest().unwrap().unwrap();
    assert_eq!(d.smtp.as_ref().unwrap().port, 465);
    assert!(matches!(d.route("anyone"), Some(DigestRoute::Email(_))));
    assert!(cfg("me = \"x\"\n").digest().unwrap().is_none());
}

#[test]
fn literal_secrets_plain_remote_smtp_and_bad_keys_are_refused_with_lines() {
    let c = cfg(r#"
[digest.smtp]
host = "mail.acme.test"
security = "none"
username = "steward"
password = "hunter2"
from = "not an address"
prot = 25

[[digest.webhook]]
name = "chat"
people = []
"#);
    let errors: Vec<String> = c
        .digest()
        .unwrap_err()
        .iter()
        .map(|e| e.to_string())
        .collect();
    let all = errors.join("\n");
    assert!(
        all.contains("/etc/steward.toml:2: [digest.smtp]: a literal password"),
        "{all}"
    );
    assert!(all.contains("only to localhost"), "{all}");
    assert!(
        all.contains("give `username` and `password_env` together"),
        "{all}"
    );
    assert!(
        all.contains("`from`: \"not an address\" is not a mail address"),
        "{all}"
    );
    assert!(all.contains("unknown key `prot` (known: host, port, security, username, password_env, password_keyring, from, timeout_secs)"), "{all}");
    assert!(
        all.contains("[[digest.webhook]] chat: give exactly one of `url` or `url_env`"),
        "{all}"
    );
    assert!(
        all.contains("[[digest.webhook]] chat: needs `people`"),
        "{all}"
    );
    assert!(!all.contains("hunter2"), "{all}");
    assert!(
        c.check()
            .iter()
            .any(|e| e.message.contains("literal password"))
    );

    let e = cfg("[digest]\nsmpt = 1\n").digest().unwrap_err();
    assert!(
        e[0].to_string()
            .contains(":2: [digest]: unknown key `smpt`"),
        "{}",
        e[0]
    );
    let e = cfg("[digest.smtp]\nhost = \"localhost\"\nsecurity = \"none\"\nfrom = \"s@x.test\"\nusername = \"u\"\npassword_env = \"NOT_SET_ANYWHERE_42\"\n").check();
    assert!(
        e.iter()
            .any(|e| e.message.contains("NOT_SET_ANYWHERE_42 is not set")),
        "{e:?}"
    );
}
