//! The server works on its own: a source is pulled again on its schedule
//! (`every`), with no one asking.

mod digest_peers;
mod serve_support;

use digest_peers::SmtpSink;
use serve_support::*;
use std::time::{Duration, Instant};

#[test]
fn a_source_is_pulled_on_its_schedule() {
    let s = Setup::new();
    let zoe = s.key("zoe");
    s.register("zoe", &zoe);
    std::fs::write(
        s.config(),
        "[[source]]\nkind = \"files\"\ndir = \"org\"\nevery = \"1s\"\n\n[serve]\nkeys = \"people.keys\"\nadmins = [\"cto\"]\n",
    )
    .unwrap();
    let server = Server::start(&s, &[]);
    assert!(
        server.banner.iter().any(|l| l == "sync files every 1s"),
        "{:?}",
        server.banner
    );
    let out = server.ssh(&zoe, &["status"]);
    assert!(text(&out.stderr).contains("\"zoe\", who is not on the roster"));
    // zoe joins in the org directory; the next scheduled pull lets her in.
    let mut people = PEOPLE.to_string();
    people.push_str("zoe,Zoe Quinn,zoe@acme.test,priya,active\n");
    std::fs::write(s.org().join("people.csv"), people).unwrap();
    assert!(
        eventually(|| server.ssh(&zoe, &["status"]).status.success()),
        "zoe was never let in"
    );
}

/// Digests go out at `[digest] at` by the wall clock, to the owners' mail,
/// with no one asking; what they say is at the server's clock.
#[test]
fn digests_go_out_on_their_schedule() {
    let s = Setup::new();
    let sink = SmtpSink::start(None, &s.path().join("mail"));
    // The next wall-clock minute at least ten seconds away.
    let at = (chrono::Utc::now() + chrono::Duration::seconds(70)).format("%H:%M");
    std::fs::write(
        s.config(),
        format!(
            "[serve]\nkeys = \"people.keys\"\nadmins = [\"cto\"]\n\n[digest]\nat = \"{at}\"\n\n[digest.smtp]\nhost = \"127.0.0.1\"\nport = {}\nsecurity = \"none\"\nfrom = \"steward <steward@acme.test>\"\ntimeout_secs = 10\n",
            sink.port
        ),
    )
    .unwrap();
    let server = Server::start(&s, &[]);
    assert!(
        server
            .banner
            .iter()
            .any(|l| l.starts_with(&format!("digests at {at} (UTC), next "))),
        "{:?}",
        server.banner
    );
    assert!(sink.messages().is_empty(), "nothing before {at}");
    let end = Instant::now() + Duration::from_secs(180);
    while sink.messages().len() < 2 && Instant::now() < end {
        std::thread::sleep(Duration::from_millis(200));
    }
    let mails = sink.messages();
    let to = |addr: &str| {
        mails
            .iter()
            .find(|m| {
                m.starts_with(&format!("X-Rcpt-To: {addr}\n"))
                    || m.starts_with(&format!("X-Rcpt-To: {addr}\r\n"))
            })
            .unwrap_or_else(|| panic!("no digest to {addr}: {mails:#?}"))
    };
    assert!(
        to("priya@acme.test").contains("Subject: steward: "),
        "{mails:#?}"
    );
    assert!(to("omar@acme.test").contains("ops:console"), "{mails:#?}");
    // Recorded as sent: a digest by hand now has nothing new for priya.
    let out = s.local(&["digest", "--as", "priya", "--dry-run"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("nothing new"),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    drop(server);
}
