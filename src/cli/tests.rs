//! The served edge: a command run for a session of `steward serve` into
//! in-memory writers, as the server runs it (on a blocking thread of its
//! runtime).

use super::*;
use crate::model::{Actor, Time, Via};
use crate::time::Clock;
use std::path::PathBuf;

struct Org {
    _dir: tempfile::TempDir,
    home: PathBuf,
    db: PathBuf,
    now: Time,
    rt: tokio::runtime::Runtime,
}

fn org() -> Org {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().to_path_buf();
    let now = crate::time::parse_time("2026-03-02T12:00:00Z").unwrap();
    let demo = crate::demo::install(&home.join("demo"), now).unwrap();
    // The server's runtime, on whose blocking threads sessions run commands.
    let rt = crate::net::runtime("test").unwrap();
    Org {
        _dir: dir,
        home,
        db: demo.db,
        now: demo.now,
        rt,
    }
}

const KEY: &str = "SHA256:2hWZ8XwK1TQ3pQd1dYxX3TgkQfj0b7rR3p5o8W0Ztq4";

impl Org {
    fn session(&self, person: &str, admin: bool) -> Served {
        Served {
            actor: Actor {
                person: person.into(),
                via: Via::Key {
                    fingerprint: KEY.into(),
                },
            },
            admin,
            db: self.db.clone(),
            data_dir: self.home.clone(),
            config_path: self.home.join("steward.toml"),
            config: None,
            clock: Clock::Fixed(self.now),
            runtime: self.rt.handle().clone(),
            http: reqwest::Client::new(),
            resident: None,
        }
    }

    /// `ssh steward ARGS` as `person`: exit code, stdout, stderr.
    fn served(&self, person: &str, admin: bool, args: &[&str]) -> (u8, String, String) {
        let edge = self.session(person, admin);
        let argv: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        let session = self.rt.spawn_blocking(move || {
            let (mut out, mut err) = (Vec::new(), Vec::new());
            let code = run_served(&argv, edge, &mut out, &mut err);
            (code, text(out), text(err))
        });
        self.rt.block_on(session).unwrap()
    }

    /// The same command run locally, with its identity given by flags.
    fn local(&self, args: &[&str]) -> (ExitCode, String, String) {
        let now = self.now.to_rfc3339();
        let db = self.db.display().to_string();
        let config = self.home.join("steward.toml").display().to_string();
        let mut argv = vec!["steward", "--now", &now, "--db", &db, "--config", &config];
        argv.extend_from_slice(args);
        let cli = Cli::try_parse_from(argv).unwrap();
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let code = run_local(cli, &mut out, &mut err);
        (code, text(out), text(err))
    }
}

fn text(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).unwrap()
}

#[test]
fn a_served_command_runs_as_the_sessions_person_on_the_servers_store_and_clock() {
    let o = org();
    let (code, out, err) = o.served("priya", false, &["suggest", "--json"]);
    assert_eq!(code, 0, "{err}");
    let list: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(!list.as_array().unwrap().is_empty(), "{out}");
    // Exactly what priya sees locally with --as, --db and --now.
    let local = o.local(&["suggest", "--json", "--as", "priya"]);
    assert_eq!(local, (ExitCode::SUCCESS, out, err));
    // Another person's session sees their own scope.
    let (_, omar, _) = o.served("omar", false, &["suggest", "--json"]);
    assert_eq!(omar, o.local(&["suggest", "--json", "--as", "omar"]).1);
    assert_ne!(omar, o.local(&["suggest", "--json", "--as", "priya"]).1);

    let (code, out, _) = o.served("priya", false, &["status"]);
    assert_eq!(code, 0);
    assert!(
        out.contains(&format!("now:   {}", o.now.to_rfc3339())),
        "{out}"
    );
    assert!(out.contains(&o.db.display().to_string()), "{out}");
}

#[test]
fn each_option_the_server_fixes_is_refused_in_one_line() {
    let o = org();
    let refusals = [
        (
            vec!["suggest", "--as", "marcus"],
            format!("--as is not accepted over SSH: you are priya (key {KEY})"),
        ),
        (
            vec!["--as", "priya"],
            format!("--as is not accepted over SSH: you are priya (key {KEY})"),
        ),
        (
            vec!["suggest", "--now", "2020-01-01"],
            "--now is not accepted over SSH: the server's clock is the only clock".into(),
        ),
        (
            vec!["--now", "2020-01-01", "decide", "accept", "a", "b"],
            "--now is not accepted over SSH: the server's clock is the only clock".into(),
        ),
        (
            vec!["status", "--db", "/tmp/other.db"],
            "--db is not accepted over SSH: the server's store is the only store".into(),
        ),
        (
            vec!["rules", "--config", "/etc/passwd"],
            "--config is not accepted over SSH: the server's configuration counts".into(),
        ),
        (
            vec!["audit", "--data-dir", "/tmp"],
            "--data-dir is not accepted over SSH: the server keeps its own data".into(),
        ),
        (
            vec!["plan", "--log-dir", "/tmp"],
            "--log-dir is not accepted over SSH: the server keeps its own logs".into(),
        ),
        (
            vec!["why", "ana", "x:read", "--org", "/srv"],
            "--org is not accepted over SSH: the server reads only its own store".into(),
        ),
    ];
    for (args, said) in refusals {
        let (code, out, err) = o.served("priya", true, &args);
        assert_eq!(code, 2, "{args:?}");
        assert_eq!(err, format!("error: {said}\n"), "{args:?}");
        assert_eq!(out, "", "{args:?}");
    }
}

#[test]
fn commands_that_make_no_sense_over_ssh_are_refused_and_admin_chores_need_an_admin() {
    let o = org();
    let refused = [
        (vec![], "the console needs a terminal"),
        (vec!["demo", "--print"], "demo is not available over SSH"),
        (
            vec!["gen", "--out", "/tmp/x"],
            "gen is not available over SSH",
        ),
        (
            vec!["secret", "delete", "okta"],
            "secret is not available over SSH",
        ),
        (
            vec!["sync"],
            "sync is for the server's admins; priya is not one",
        ),
        (
            vec!["config", "check"],
            "config check is for the server's admins; priya is not one",
        ),
    ];
    for (args, said) in refused {
        let (code, out, err) = o.served("priya", false, &args);
        assert_eq!(code, 2, "{args:?}");
        assert!(
            err.starts_with(&format!("error: {said}")),
            "{args:?}: {err}"
        );
        assert_eq!(err.lines().count(), 1, "{err}");
        assert_eq!(out, "");
    }
    // An admin runs them (here: there is no config to check).
    let (code, _, err) = o.served("priya", true, &["config", "check"]);
    assert_eq!(code, 1);
    assert!(err.starts_with("no config at "), "{err}");
}

#[test]
fn help_and_usage_errors_go_to_the_writers_with_clap_exit_codes() {
    let o = org();
    let (code, out, err) = o.served("priya", false, &["suggest", "--help"]);
    assert_eq!(code, 0);
    assert!(out.contains("Usage: steward suggest"), "{out}");
    assert!(!out.contains('\x1b'), "help over SSH is unstyled: {out:?}");
    assert_eq!(err, "");
    let (code, out, err) = o.served("priya", false, &["frobnicate"]);
    assert_eq!(code, 2);
    assert!(
        err.starts_with("error: unrecognized subcommand 'frobnicate'"),
        "{err}"
    );
    assert_eq!(out, "");
    // A command's own error, as locally.
    let (code, out, err) = o.served("priya", false, &["why", "nobody", "x:read"]);
    assert_eq!(code, 1);
    assert_eq!(out, "");
    let local = o.local(&["why", "nobody", "x:read"]);
    assert_eq!(local.2, err);
}

#[test]
fn served_options_read_no_environment_variables() {
    fn check(cmd: &clap::Command) {
        for arg in cmd.get_arguments() {
            assert!(
                arg.get_env().is_none(),
                "{} {} reads {:?}",
                cmd.get_name(),
                arg.get_id(),
                arg.get_env()
            );
        }
        cmd.get_subcommands().for_each(check);
    }
    let mut served = served::command();
    served.build();
    check(&served);
    // Locally they do (STEWARD_AS, STEWARD_NOW, ...): the check above can fail.
    let mut local = <Cli as clap::CommandFactory>::command();
    local.build();
    let now = local.get_arguments().find(|a| a.get_id() == "now").unwrap();
    assert_eq!(now.get_env().unwrap(), "STEWARD_NOW");
}

#[test]
fn a_reader_gone_away_ends_quietly_with_the_sigpipe_status() {
    struct Gone;
    impl Write for Gone {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(std::io::ErrorKind::BrokenPipe.into())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let o = org();
    let edge = o.session("priya", false);
    let mut err = Vec::new();
    let code = run_served(&["suggest".to_string()], edge, &mut Gone, &mut err);
    assert_eq!(code, 141);
    assert_eq!(text(err), "");
}
