//! Sources removed from steward.toml: the next `steward sync` drops their
//! cached rows in one transaction and says so; `status` no longer lists
//! them. The org given by `sync --org`, rules written in steward, decisions
//! and the audit log stay. The real binary on real files.

use std::path::Path;
use std::process::Command;

const NOW: &str = "2026-11-24T12:00:00Z";

fn steward(dir: &Path, args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_steward"))
        .args(args)
        .env("STEWARD_DB", dir.join("steward.db"))
        .env("STEWARD_CONFIG", dir.join("steward.toml"))
        .env("STEWARD_LOG_DIR", dir.join("logs"))
        .env("STEWARD_NOW", NOW)
        .env_remove("STEWARD_AS")
        .output()
        .expect("run steward");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr),
    )
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn user(name: &str) -> String {
    format!(
        "---\napiVersion: backstage.io/v1alpha1\nkind: User\nmetadata:\n  name: {name}\nspec:\n  profile: {{email: {name}@example.com}}\n"
    )
}

fn setup(dir: &Path) {
    // The catalog: people, the payments team (led by priya) and its system.
    write(
        &dir.join("catalog/catalog-info.yaml"),
        &(user("priya")
            + &user("ana")
            + "---\nkind: Group\nmetadata:\n  name: payments\n  annotations: {steward.dev/lead: user:priya}\nspec:\n  members: [priya, ana]\n"
            + "---\nkind: System\nmetadata:\n  name: payments\nspec:\n  owner: group:payments\n"),
    );
    // A second catalog, about to be removed from the config.
    write(
        &dir.join("old/catalog-info.yaml"),
        &(user("zed")
            + &user("yan")
            + "---\nkind: Group\nmetadata:\n  name: legacy\nspec:\n  members: [zed]\n"),
    );
    write(
        &dir.join("policy/areas.toml"),
        "[[area]]\nid = \"payments\"\nname = \"Payments\"\nowner = \"priya\"\n\n[[area.entitlement]]\nid = \"pay-db:read\"\nname = \"Read the payments database\"\n",
    );
    write(
        &dir.join("policy/trainings.csv"),
        "person,course,completed,expires\nana,pci,2026-01-10T00:00:00Z,2027-01-10T00:00:00Z\n",
    );
    // An org directory synced with --org (the `files` source).
    write(
        &dir.join("legacy-org/people.csv"),
        "id,name,email,manager,status\nolga,Olga,olga@example.com,,active\n",
    );
    for name in [
        "teams.toml",
        "rotations.toml",
        "trainings.csv",
        "areas.toml",
        "grants.csv",
        "rules.toml",
    ] {
        write(&dir.join("legacy-org").join(name), "");
    }
}

fn config(with_old: bool) -> String {
    let mut text = String::from(
        "me = \"priya\"\n\n[[source]]\nkind = \"files\"\nname = \"policy\"\ndir = \"policy\"\nprovides = [\"trainings\", \"entitlements\"]\n\n[[source]]\nkind = \"backstage\"\nname = \"catalog\"\npath = \"catalog\"\n",
    );
    if with_old {
        text.push_str(
            "\n[[source]]\nkind = \"backstage\"\nname = \"old-catalog\"\npath = \"old\"\n",
        );
    }
    text
}

fn status_sources(dir: &Path) -> Vec<String> {
    let (code, out) = steward(dir, &["status"]);
    assert_eq!(code, 0, "{out}");
    out.lines()
        .skip_while(|l| !l.starts_with("SOURCE"))
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .map(|l| l.split_whitespace().next().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn a_source_removed_from_the_config_is_dropped_on_the_next_sync() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    setup(dir);
    let (code, out) = steward(
        dir,
        &["sync", "--org", dir.join("legacy-org").to_str().unwrap()],
    );
    assert_eq!(code, 0, "{out}");
    write(&dir.join("steward.toml"), &config(true));
    let (code, out) = steward(dir, &["sync"]);
    assert_eq!(code, 0, "{out}");
    assert!(!out.contains("no longer configured"), "{out}");
    assert_eq!(
        status_sources(dir),
        ["catalog", "files", "old-catalog", "policy"]
    );
    // Things that must survive: a rule written in steward, a decision, the audit.
    let (code, out) = steward(
        dir,
        &[
            "rule",
            "add",
            "--id",
            "pay-read",
            "--area",
            "payments",
            "--grant",
            "pay-db:read",
            "--team",
            "payments",
            "--trained",
            "pci",
            "--why",
            "payments engineers debug with it",
            "--as",
            "priya",
        ],
    );
    assert_eq!(code, 0, "{out}");
    let (code, out) = steward(
        dir,
        &[
            "decide",
            "snooze",
            "ana",
            "pay-db:read",
            "--until",
            "2w",
            "--as",
            "priya",
        ],
    );
    assert_eq!(code, 0, "{out}");
    let (_, audit_before) = steward(dir, &["audit", "export", "--jsonl"]);
    assert_eq!(audit_before.lines().count(), 2, "{audit_before}");

    // old-catalog leaves the config.
    write(&dir.join("steward.toml"), &config(false));
    let (code, out) = steward(dir, &["sync"]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains(
            "source old-catalog (backstage) is no longer configured: dropped its cached 2 people, 1 teams"
        ),
        "{out}"
    );
    assert!(!out.contains("source files"), "{out}");
    assert!(!out.contains("source steward"), "{out}");
    assert_eq!(status_sources(dir), ["catalog", "files", "policy"]);

    let store = steward::store::Store::open(&dir.join("steward.db")).unwrap();
    let org = store.load_org().unwrap();
    let mut people: Vec<&str> = org.people.iter().map(|p| p.id.as_str()).collect();
    people.sort();
    assert_eq!(people, ["ana", "olga", "priya"]);
    assert!(!org.teams.iter().any(|t| t.id == "legacy"));
    assert!(
        org.rules.iter().any(|r| r.id == "pay-read"),
        "{:?}",
        org.rules
    );
    let decisions = store.decisions().unwrap();
    assert_eq!(decisions.len(), 1);
    assert_eq!(decisions[0].suggestion.person, "ana");
    drop(store);
    let (_, audit_after) = steward(dir, &["audit", "export", "--jsonl"]);
    assert_eq!(audit_after, audit_before);
    let (code, out) = steward(dir, &["audit", "verify"]);
    assert_eq!(code, 0, "{out}");

    // Said once: the next sync has nothing to retire.
    let (code, out) = steward(dir, &["sync"]);
    assert_eq!(code, 0, "{out}");
    assert!(!out.contains("no longer configured"), "{out}");
}

#[test]
fn a_source_that_only_ever_failed_is_retired_too() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    setup(dir);
    write(
        &dir.join("steward.toml"),
        &(config(false)
            + "\n[[source]]\nkind = \"backstage\"\nname = \"typo\"\npath = \"no-such-dir\"\n"),
    );
    let (code, out) = steward(dir, &["sync"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("typo: FAILED"), "{out}");
    assert_eq!(status_sources(dir), ["catalog", "policy", "typo"]);
    write(&dir.join("steward.toml"), &config(false));
    let (code, out) = steward(dir, &["sync"]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("source typo (backstage) is no longer configured: dropped its cached sync record (it had no data)"),
        "{out}"
    );
    assert_eq!(status_sources(dir), ["catalog", "policy"]);
}

/// The console's `R` syncs as `steward sync` does: a source dropped from
/// the config is retired there too, and the status bar says so.
#[test]
fn the_consoles_sync_retires_a_source_no_longer_configured() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    setup(dir);
    write(&dir.join("steward.toml"), &config(true));
    let (code, out) = steward(dir, &["sync"]);
    assert_eq!(code, 0, "{out}");
    write(&dir.join("steward.toml"), &config(false));
    let cfg = steward::config::load(&dir.join("steward.toml"))
        .unwrap()
        .unwrap();
    let sources = cfg.sources().unwrap();
    let now: steward::model::Time = NOW.parse().unwrap();
    let store = steward::store::Store::open(&dir.join("steward.db")).unwrap();
    let mut app = steward::tui::app::App::new(
        store,
        "priya",
        now,
        Vec::new(),
        steward::tui::theme::Theme::color(),
    )
    .unwrap();
    app.env = steward::tui::worker::Env {
        sources,
        ..Default::default()
    };
    app.feed(steward::tui::update::Msg::Key(
        ratatui::crossterm::event::KeyEvent::new(
            ratatui::crossterm::event::KeyCode::Char('R'),
            ratatui::crossterm::event::KeyModifiers::NONE,
        ),
    ));
    let flash = app
        .state
        .status
        .flash
        .as_ref()
        .map(|f| f.text.clone())
        .unwrap_or_default();
    assert!(
        flash.contains(
            "source old-catalog (backstage) is no longer configured: dropped its cached 2 people, 1 teams"
        ),
        "{flash}"
    );
    assert!(flash.contains("catalog: "), "{flash}");
    assert_eq!(status_sources(dir), ["catalog", "policy"]);
    let org = app.store.load_org().unwrap();
    assert!(!org.people.iter().any(|p| p.id == "zed"));
}
