//! `steward digest` through the real binary: mail through a real SMTP server
//! (aiosmtpd) on 127.0.0.1, webhooks to a local receiver, with `--now` fixed.
//! Covers: nothing new -> nothing sent; a failed send then a retry;
//! escalation after escalate_days; a dismissal that holds until its facts
//! change, and a snooze until its date; STARTTLS and direct TLS with the
//! server's certificate verified, and a login (a wrong password refused,
//! named, never shown, and retried).

mod digest_peers;

use assert_cmd::Command;
use digest_peers::{Hook, SmtpSink, free_port, test_certificates};
use std::path::{Path, PathBuf};

const T0: &str = "2026-03-02T12:00:00Z";

const PEOPLE: &str = "id,name,email,manager,status
cto,Casey Ortiz,casey@acme.test,,active
priya,Priya Raman,priya@acme.test,cto,active
omar,Omar Haddad,omar@acme.test,cto,active
ana,Ana Lima,ana@acme.test,priya,active
bo,Bo Chen,bo@acme.test,priya,active
cy,Cy Young,cy@acme.test,priya,active
lee,Lee Park,lee@acme.test,priya,left
";

const TEAMS: &str = r#"
[[team]]
id = "eng"
name = "Engineering"
lead = "cto"
members = ["cto"]

[[team]]
id = "payments"
name = "Payments"
parent = "eng"
lead = "priya"
members = ["priya", "ana", "bo"]
"#;

const ROTATIONS: &str = r#"
[[rotation]]
id = "pay-primary"
name = "Payments primary"
team = "payments"
members = ["ana"]

[[rotation.shift]]
person = "ana"
start = "2026-03-02T09:00:00Z"
end = "2026-03-09T09:00:00Z"

[[rotation.shift]]
person = "cy"
start = "2026-03-05T09:00:00Z"
end = "2026-03-06T09:00:00Z"
"#;

const TRAININGS: &str = "person,course,completed,expires
ana,pci,2026-01-10T00:00:00Z,2027-01-10T00:00:00Z
bo,pci,2025-01-10T00:00:00Z,2026-01-10T00:00:00Z
cy,pci,2026-02-25T00:00:00Z,
";

const AREAS: &str = r#"
[[area]]
id = "root"
name = "Acme"
owner = "cto"

[[area]]
id = "payments"
name = "Payments"
parent = "root"
owner = "priya"
tags = ["pii"]
notes = "Card data: PCI scope."

[[area.entitlement]]
id = "pay-db:read"
name = "Read the payments database"

[[area.entitlement]]
id = "pay-db:admin"
name = "Administer the payments database"

[[area]]
id = "ops"
name = "Operations"
parent = "root"
owner = "omar"
escalate_days = 7

[[area.entitlement]]
id = "ops:console"
name = "Ops console"
"#;

const RULES: &str = r#"
[[rule]]
id = "pay-read"
area = "payments"
author = "priya"
why = "Payments engineers read the DB to debug."
grant = ["pay-db:read"]
team = "payments"
trained = ["pci"]

[[rule]]
id = "pay-oncall-admin"
area = "payments"
author = "priya"
why = "Primary oncall administers the DB during incidents."
grant = ["pay-db:admin"]
rotation = "pay-primary"
only_while_oncall = true
trained = ["pci"]
"#;

const GRANTS: &str = "person,entitlement,granted_by,granted_at,basis,expires
bo,pay-db:read,priya,2025-06-01T00:00:00Z,rule:pay-read,
lee,ops:console,omar,2025-06-01T00:00:00Z,manual,
omar,pay-db:read,,2026-02-20T00:00:00Z,manual,
";

struct Env {
    dir: tempfile::TempDir,
    org: PathBuf,
    db: PathBuf,
    config: PathBuf,
}

fn env() -> Env {
    let dir = tempfile::tempdir().unwrap();
    let org = dir.path().join("org");
    std::fs::create_dir_all(&org).unwrap();
    for (name, body) in [
        ("people.csv", PEOPLE),
        ("teams.toml", TEAMS),
        ("rotations.toml", ROTATIONS),
        ("trainings.csv", TRAININGS),
        ("areas.toml", AREAS),
        ("rules.toml", RULES),
        ("grants.csv", GRANTS),
    ] {
        std::fs::write(org.join(name), body).unwrap();
    }
    let db = dir.path().join("cache").join("steward.db");
    let config = dir.path().join("steward.toml");
    std::fs::write(&config, "").unwrap();
    Env {
        org,
        db,
        config,
        dir,
    }
}

impl Env {
    fn configure(&self, text: &str) {
        std::fs::write(&self.config, text).unwrap();
    }

    fn steward(&self, now: &str) -> Command {
        let mut c = Command::cargo_bin("steward").unwrap();
        c.env_remove("STEWARD_AS")
            .env("STEWARD_NOW", now)
            .env("STEWARD_DB", &self.db)
            .env("STEWARD_CONFIG", &self.config)
            .env("STEWARD_LOG_DIR", self.dir.path().join("logs"));
        c
    }

    fn sync(&self, now: &str) {
        self.steward(now)
            .args(["sync", "--org"])
            .arg(&self.org)
            .assert()
            .success();
    }

    /// Runs `steward digest ARGS` at `now`: (exit code, stdout, stderr).
    fn digest(&self, now: &str, args: &[&str]) -> (i32, String, String) {
        let out = self.steward(now).arg("digest").args(args).output().unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).to_string(),
            String::from_utf8_lossy(&out.stderr).to_string(),
        )
    }

    fn audit(&self) -> String {
        let out = self
            .steward(T0)
            .args(["audit", "list", "--limit", "1000"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).to_string()
    }
}

fn smtp_config(port: u16) -> String {
    format!(
        "[digest.smtp]\nhost = \"127.0.0.1\"\nport = {port}\nsecurity = \"none\"\nfrom = \"steward <steward@acme.test>\"\ntimeout_secs = 10\n"
    )
}

/// A received message with quoted-printable soft breaks and escapes undone.
fn decoded(raw: &str) -> String {
    let joined = raw.replace("=\r\n", "").replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'='
            && i + 2 < bytes.len()
            && let Ok(b) = u8::from_str_radix(&joined[i + 1..i + 3], 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).replace("\r\n", "\n")
}

fn to_of(mail: &str) -> &str {
    mail.lines()
        .next()
        .and_then(|l| l.strip_prefix("X-Rcpt-To: "))
        .unwrap_or("")
}

fn mail_to(mails: &[String], to: &str) -> String {
    let found: Vec<&String> = mails.iter().filter(|m| to_of(m) == to).collect();
    assert_eq!(found.len(), 1, "expected one mail to {to}, got {mails:#?}");
    decoded(found[0])
}

#[test]
fn digests_go_out_once_and_nothing_new_sends_nothing() {
    let e = env();
    e.sync(T0);
    let sink = SmtpSink::start(None, &e.dir.path().join("mail"));
    e.configure(&smtp_config(sink.port));

    // A preview first: prints, sends and records nothing.
    let (code, out, _) = e.digest(T0, &["--all", "--dry-run"]);
    assert_eq!(code, 0);
    assert!(
        out.contains("== would send to priya by email (priya@acme.test)"),
        "{out}"
    );
    assert!(sink.messages().is_empty());

    let (code, out, err) = e.digest(T0, &["--all", "--send"]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(
        out.contains("sent priya's digest by email to priya@acme.test"),
        "{out}"
    );
    assert!(
        out.contains("sent omar's digest by email to omar@acme.test"),
        "{out}"
    );
    assert!(err.contains("nothing new for cto"), "{err}");
    let mails: Vec<String> = sink.messages().iter().map(|m| decoded(m)).collect();
    assert_eq!(mails.len(), 2, "one message per owner: {mails:#?}");
    let priya = &mail_to(&mails, "priya@acme.test");
    assert!(
        priya.contains("Subject: steward: 4 new to decide; 1 shift soon, nothing to decide yet"),
        "{priya}"
    );
    assert!(priya.contains("payments (Payments)"), "{priya}");
    assert!(
        priya.contains("bo pay-db:read: training pci expired on 2026-01-10"),
        "{priya}"
    );
    assert!(
        priya.contains("cy starts on call in pay-primary at 2026-03-05 09:00Z without pay-db:admin (rule pay-oncall-admin)"),
        "{priya}"
    );
    assert!(
        priya.contains("Nothing changes until you decide."),
        "{priya}"
    );
    let omar = &mail_to(&mails, "omar@acme.test");
    assert!(
        omar.contains("lee ops:console: lee has left the organization"),
        "{omar}"
    );
    assert!(!omar.contains("pay-db"), "only omar's own area: {omar}");

    // Nothing new: no message, not an empty one; a calm note on stderr.
    let (code, out, err) = e.digest("2026-03-02T18:00:00Z", &["--all", "--send"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, "");
    assert!(err.contains("nothing new for priya"), "{err}");
    assert_eq!(sink.messages().len(), 2);
    let (_, out, err) = e.digest("2026-03-02T18:00:00Z", &["--as", "priya"]);
    assert_eq!(out, "");
    assert_eq!(err.trim(), "nothing new for priya");

    // --since tells it all again, as a preview.
    let (_, out, _) = e.digest(
        "2026-03-02T18:00:00Z",
        &["--as", "priya", "--since", "1d", "--format", "markdown"],
    );
    assert!(out.contains("### New suggestions"), "{out}");
    assert!(
        out.contains("- bo `pay-db:read`: training pci expired"),
        "{out}"
    );

    let audit = e.audit();
    assert_eq!(audit.matches(" digest ").count(), 2, "{audit}");
    e.steward(T0).args(["audit", "verify"]).assert().success();
}

#[test]
fn a_failed_send_is_reported_recorded_and_retried_by_the_next_run() {
    let e = env();
    e.sync(T0);
    let port = free_port();
    e.configure(&smtp_config(port));

    let (code, out, err) = e.digest(T0, &["--as", "priya", "--send"]);
    assert_eq!(code, 1, "a failed send exits non-zero\n{out}\n{err}");
    assert!(
        err.contains("FAILED to send priya's digest by email to priya@acme.test"),
        "{err}"
    );
    assert!(
        err.contains(&format!("127.0.0.1:{port}")),
        "names the server: {err}"
    );
    assert!(err.contains("the next run sends it again"), "{err}");
    let audit = e.audit();
    assert!(
        audit.contains("to priya by email (priya@acme.test): failed, attempt 1"),
        "{audit}"
    );

    // The server is up now: the next run sends it, as a second attempt.
    let sink = SmtpSink::start(Some(port), &e.dir.path().join("mail"));
    let (code, out, err) = e.digest("2026-03-02T13:00:00Z", &["--as", "priya", "--send"]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("(attempt 2)"), "{out}");
    let mails: Vec<String> = sink.messages().iter().map(|m| decoded(m)).collect();
    assert_eq!(mails.len(), 1);
    assert!(
        mails[0].contains("bo pay-db:read: training pci expired"),
        "{}",
        mails[0]
    );

    let (code, out, _) = e.digest("2026-03-02T14:00:00Z", &["--as", "priya", "--send"]);
    assert_eq!((code, out.as_str()), (0, ""));
    assert_eq!(sink.messages().len(), 1);
}

#[test]
fn a_password_never_appears_in_errors_and_webhook_failures_name_the_hook_not_its_url() {
    let e = env();
    e.sync(T0);
    let hook = Hook::start();
    hook.status.store(500, std::sync::atomic::Ordering::SeqCst);
    e.configure(&format!(
        "[digest.smtp]\nhost = \"127.0.0.1\"\nport = {}\nsecurity = \"none\"\nusername = \"steward\"\npassword_env = \"DIGEST_TEST_SMTP_PASSWORD\"\nfrom = \"steward@acme.test\"\n\n[[digest.webhook]]\nname = \"ops-chat\"\nurl = \"{}\"\npeople = [\"omar\"]\n",
        free_port(),
        hook.url
    ));
    let out = e
        .steward(T0)
        .env("DIGEST_TEST_SMTP_PASSWORD", "hunter2-very-secret")
        .args(["digest", "--all", "--send"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("priya's digest by email"), "{err}");
    assert!(
        err.contains("omar's digest by webhook to ops-chat"),
        "{err}"
    );
    assert!(err.contains("webhook ops-chat: HTTP 500"), "{err}");
    assert!(!err.contains("hunter2"), "{err}");
    assert!(!err.contains("secret-part"), "{err}");
    assert!(!e.audit().contains("hunter2"));
    assert!(!e.audit().contains("secret-part"));
    assert_eq!(hook.texts().len(), 1);
}

#[test]
fn escalation_reaches_the_parent_owner_after_escalate_days_and_stops_at_the_root() {
    let e = env();
    e.sync(T0);
    let sink = SmtpSink::start(None, &e.dir.path().join("mail"));
    let hook = Hook::start();
    e.configure(&format!(
        "{}\n[[digest.webhook]]\nname = \"cto-chat\"\nurl = \"{}\"\npeople = [\"cto\"]\n",
        smtp_config(sink.port),
        hook.url
    ));
    let (code, _, err) = e.digest(T0, &["--all", "--send"]);
    assert_eq!(code, 0, "{err}");
    assert!(hook.texts().is_empty(), "nothing is the CTO's yet");

    // ops escalates after 7 days, payments after the default 14.
    let (code, out, err) = e.digest("2026-03-08T12:00:00Z", &["--all", "--send"]);
    assert_eq!(code, 0, "{err}");
    assert!(!out.contains("cto"), "not yet: {out}");
    assert!(hook.texts().is_empty());

    let (code, out, err) = e.digest("2026-03-09T12:00:00Z", &["--all", "--send"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("sent cto's digest by webhook to cto-chat"),
        "{out}"
    );
    let texts = hook.texts();
    assert_eq!(texts.len(), 1);
    assert!(
        texts[0].contains("escalated to you: revoke lee ops:console in ops: undecided for 7 days, waiting for Omar Haddad (omar) (area escalates after 7 days)"),
        "{}",
        texts[0]
    );
    assert!(
        !texts[0].contains("pay-db"),
        "payments is not overdue yet: {}",
        texts[0]
    );
    let omar = decoded(
        &sink
            .messages()
            .into_iter()
            .rfind(|m| to_of(m) == "omar@acme.test")
            .unwrap(),
    );
    assert!(omar.contains("yours: revoke lee ops:console in ops: undecided for 7 days, now also with Casey Ortiz (cto)"), "{omar}");

    let (code, _, err) = e.digest("2026-03-16T12:00:00Z", &["--all", "--send"]);
    assert_eq!(code, 0, "{err}");
    let texts = hook.texts();
    assert_eq!(texts.len(), 2, "{texts:#?}");
    assert!(texts[1].contains("escalated to you: revoke bo pay-db:read in payments: undecided for 14 days, waiting for Priya Raman (priya)"), "{}", texts[1]);
    assert!(
        !texts[1].contains("lee ops:console"),
        "told once: {}",
        texts[1]
    );

    // The root's owner is the top: waiting longer sends nothing more.
    let (code, out, _) = e.digest("2026-04-20T12:00:00Z", &["--as", "cto", "--send"]);
    assert_eq!((code, out.as_str()), (0, ""));
    assert_eq!(hook.texts().len(), 2);
}

#[test]
fn a_dismissal_holds_until_its_facts_change_and_a_snooze_until_its_date() {
    let e = env();
    e.sync(T0);
    let sink = SmtpSink::start(None, &e.dir.path().join("mail"));
    e.configure(&smtp_config(sink.port));
    assert_eq!(e.digest(T0, &["--as", "priya", "--send"]).0, 0);

    e.steward(T0)
        .args([
            "decide",
            "dismiss",
            "bo",
            "pay-db:read",
            "--as",
            "priya",
            "--reason",
            "covering the Q2 audit",
        ])
        .assert()
        .success();
    e.steward(T0)
        .args([
            "decide",
            "snooze",
            "omar",
            "pay-db:read",
            "--as",
            "priya",
            "--until",
            "3d",
        ])
        .assert()
        .success();

    // Out of every digest, even a recap of everything.
    let (_, out, _) = e.digest(
        "2026-03-03T12:00:00Z",
        &["--as", "priya", "--since", "2026-01-01"],
    );
    assert!(!out.contains("bo pay-db:read"), "{out}");
    assert!(!out.contains("omar pay-db:read"), "{out}");
    assert!(out.contains("ana pay-db:read"), "{out}");

    // bo leaves the team: a new reason, so the dismissal no longer holds.
    std::fs::write(
        e.org.join("teams.toml"),
        TEAMS.replace("\"ana\", \"bo\"", "\"ana\""),
    )
    .unwrap();
    e.sync("2026-03-03T12:00:00Z");
    let (code, _, err) = e.digest("2026-03-03T12:00:00Z", &["--as", "priya", "--send"]);
    assert_eq!(code, 0, "{err}");
    let mails: Vec<String> = sink.messages().iter().map(|m| decoded(m)).collect();
    assert_eq!(mails.len(), 2);
    assert!(
        mails[1].contains("Subject: steward: 1 new to decide"),
        "{}",
        mails[1]
    );
    assert!(
        mails[1].contains("bo pay-db:read: not a member of team payments"),
        "{}",
        mails[1]
    );

    // The snooze ends after 3 days: the review is back, once.
    let (code, _, err) = e.digest("2026-03-05T13:00:00Z", &["--as", "priya", "--send"]);
    assert_eq!(code, 0, "{err}");
    let mails: Vec<String> = sink.messages().iter().map(|m| decoded(m)).collect();
    assert_eq!(mails.len(), 3, "{mails:#?}");
    assert!(
        mails[2].contains("omar pay-db:read: existing membership, first seen 2026-02-20"),
        "{}",
        mails[2]
    );
    assert_eq!(
        e.digest("2026-03-05T14:00:00Z", &["--as", "priya", "--send"])
            .1,
        ""
    );
}

#[test]
fn send_without_a_digest_config_says_what_to_add() {
    let e = env();
    e.sync(T0);
    let (code, _, err) = e.digest(T0, &["--all", "--send"]);
    assert_eq!(code, 1);
    assert!(err.contains("--send needs a [digest] section"), "{err}");
    e.configure("[digest.smtp]\nhost = \"mail.acme.test\"\nsecurity = \"none\"\npassword = \"x\"\nfrom = \"steward@acme.test\"\n");
    let (code, _, err) = e.digest(T0, &["--all", "--send"]);
    assert_eq!(code, 1);
    assert!(err.contains("only to localhost"), "{err}");
    assert!(err.contains("password_env"), "{err}");
}

#[test]
fn starttls_verifies_the_server_certificate_and_then_delivers() {
    let e = env();
    e.sync(T0);
    let (ca, cert, key) = test_certificates(&e.dir.path().join("tls"));
    let sink = SmtpSink::start_tls(&e.dir.path().join("mail"), &cert, &key);
    e.configure(&format!(
        "[digest.smtp]\nhost = \"127.0.0.1\"\nport = {}\nsecurity = \"starttls\"\nfrom = \"steward@acme.test\"\ntimeout_secs = 10\n",
        sink.port
    ));
    // Not trusted: refused, reported, nothing delivered.
    let out = e
        .steward(T0)
        .env("SSL_CERT_FILE", e.dir.path().join("tls/none.pem"))
        .args(["digest", "--as", "priya", "--send"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("(starttls)"), "{err}");
    assert!(sink.messages().is_empty());

    // Trusted: sent over STARTTLS (the server refuses mail without it).
    let out = e
        .steward("2026-03-02T12:05:00Z")
        .env("SSL_CERT_FILE", &ca)
        .args(["digest", "--as", "priya", "--send"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{text}\n{}\n{}",
        String::from_utf8_lossy(&out.stderr),
        sink.log()
    );
    assert!(text.contains("(attempt 2)"), "{text}");
    let mails = sink.messages();
    assert_eq!(mails.len(), 1);
    assert!(decoded(&mails[0]).contains("bo pay-db:read: training pci expired"));
}

#[test]
fn an_overlapping_sending_run_sends_nothing_and_says_why() {
    let e = env();
    e.sync(T0);
    e.configure(&smtp_config(free_port()));
    let mut lock_path = e.db.clone().into_os_string();
    lock_path.push(".digest-lock");
    let held = std::fs::File::create(&lock_path).unwrap();
    held.lock().unwrap();
    let (code, out, err) = e.digest(T0, &["--all", "--send"]);
    assert_eq!(code, 1, "{out}\n{err}");
    assert!(
        err.contains("another `steward digest --send` is running"),
        "{err}"
    );
    assert!(!e.audit().contains("digest"), "nothing recorded");
    // A preview does not need the lock.
    assert_eq!(e.digest(T0, &["--as", "priya"]).0, 0);
    held.unlock().unwrap();
}

fn login_config(port: u16, security: &str) -> String {
    format!(
        "[digest.smtp]\nhost = \"127.0.0.1\"\nport = {port}\nsecurity = \"{security}\"\nusername = \"steward\"\npassword_env = \"DIGEST_TEST_SMTP_PASSWORD\"\nfrom = \"steward <steward@acme.test>\"\ntimeout_secs = 10\n"
    )
}

#[test]
fn login_over_starttls_delivers_and_a_wrong_password_fails_named_and_is_retried() {
    let e = env();
    e.sync(T0);
    let (ca, cert, key) = test_certificates(&e.dir.path().join("tls"));
    let password = "correct horse battery staple";
    let sink = SmtpSink::start_starttls_login(
        &e.dir.path().join("mail"),
        &cert,
        &key,
        "steward",
        password,
    );
    e.configure(&login_config(sink.port, "starttls"));

    // The wrong password: refused by the server, reported, nothing delivered.
    let wrong = "tr0ub4dor-and-3";
    let out = e
        .steward(T0)
        .env("SSL_CERT_FILE", &ca)
        .env("DIGEST_TEST_SMTP_PASSWORD", wrong)
        .args(["digest", "--as", "priya", "--send"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    let all = String::from_utf8_lossy(&out.stdout).to_string() + &err;
    assert_eq!(out.status.code(), Some(1), "{all}\n{}", sink.log());
    assert!(
        err.contains("FAILED to send priya's digest by email to priya@acme.test"),
        "{err}"
    );
    assert!(
        err.contains(&format!("127.0.0.1:{} (starttls)", sink.port)),
        "names the server: {err}"
    );
    assert!(err.contains("535"), "says the login was refused: {err}");
    assert!(err.contains("the next run sends it again"), "{err}");
    assert!(!all.contains(wrong), "{all}");
    assert!(!e.audit().contains(wrong));
    assert!(sink.messages().is_empty());

    // The right one: the next run logs in and delivers, as attempt 2.
    delivers_on_the_second_attempt(&e, &ca, password, &sink);
    assert!(!e.audit().contains(password));
}

#[test]
fn direct_tls_verifies_the_server_logs_in_and_delivers() {
    let e = env();
    e.sync(T0);
    let (ca, cert, key) = test_certificates(&e.dir.path().join("tls"));
    let password = "s3cret-for-465";
    let sink = SmtpSink::start_implicit_tls(
        &e.dir.path().join("mail"),
        &cert,
        &key,
        Some(("steward", password)),
    );
    e.configure(&login_config(sink.port, "tls"));

    // A certificate nobody trusts: refused before anything is said.
    let out = e
        .steward(T0)
        .env("SSL_CERT_FILE", e.dir.path().join("tls/none.pem"))
        .env("DIGEST_TEST_SMTP_PASSWORD", password)
        .args(["digest", "--as", "priya", "--send"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains(&format!("127.0.0.1:{} (tls)", sink.port)),
        "{err}"
    );
    assert!(!err.contains(password), "{err}");
    assert!(sink.messages().is_empty());

    // Trusted: TLS from the first byte, then the login, then the mail.
    delivers_on_the_second_attempt(&e, &ca, password, &sink);
}

/// Five minutes on, with the CA trusted and the right password: the failed
/// send is retried and priya's digest arrives, as attempt 2.
fn delivers_on_the_second_attempt(e: &Env, ca: &Path, password: &str, sink: &SmtpSink) {
    let out = e
        .steward("2026-03-02T12:05:00Z")
        .env("SSL_CERT_FILE", ca)
        .env("DIGEST_TEST_SMTP_PASSWORD", password)
        .args(["digest", "--as", "priya", "--send"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{text}\n{}\n{}",
        String::from_utf8_lossy(&out.stderr),
        sink.log()
    );
    assert!(text.contains("(attempt 2)"), "{text}");
    let mails = sink.messages();
    assert_eq!(mails.len(), 1);
    assert_eq!(to_of(&mails[0]), "priya@acme.test");
    assert!(decoded(&mails[0]).contains("bo pay-db:read: training pci expired"));
}
