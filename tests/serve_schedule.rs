//! The server works on its own: a source is pulled again on its schedule
//! (`every`), with no one asking.

mod serve_support;

use serve_support::*;

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
