//! Text from outside is data: an organization whose every name, note, tag,
//! reason and error body carries CSI, OSC (a title change), OSC 8
//! hyperlinks, a one-byte C1 CSI, bidi overrides and Slack markup goes
//! through every command, and the raw bytes of every output are scanned:
//! no ESC, no C1, no bidi control, and JSON stays JSON.

mod peers;
mod tmux;

use assert_cmd::Command;
use peers::{FaultServer, Reply};
use std::path::{Path, PathBuf};

const NOW: &str = "2026-03-02T12:00:00Z";

/// Every trick, Rust-escaped (what the files hold).
const HOSTILE: &str = "\u{1b}[31mRED\u{1b}[0m \u{1b}]0;pwned\u{7} \u{1b}]8;;http://evil.example/\u{1b}\\click\u{1b}]8;;\u{1b}\\ \u{9b}2J \u{202e}txet\u{202c} <!channel> <https://evil.example|Re-authenticate> &";

/// The same, as a TOML basic string's escapes.
fn toml(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '"' => "\\\"".to_string(),
            '\\' => "\\\\".to_string(),
            c if (c as u32) < 0x20
                || ('\u{7f}'..='\u{9f}').contains(&c)
                || c == '\u{202e}'
                || c == '\u{202c}' =>
            {
                format!("\\u{:04X}", c as u32)
            }
            c => c.to_string(),
        })
        .collect()
}

/// The same, as a CSV field.
fn csv(text: &str) -> String {
    format!("\"{}\"", text.replace('"', "\"\""))
}

struct Org {
    dir: tempfile::TempDir,
    org: PathBuf,
    db: PathBuf,
}

fn write_org(org: &Path) {
    let h = toml(HOSTILE);
    let name = |who: &str| csv(&format!("{who} {HOSTILE}"));
    let people = format!(
        "id,name,email,manager,status\ncto,{},cto@acme.test,,active\npriya,{},priya@acme.test,cto,active\nana,{},ana@acme.test,priya,active\nlee,{},lee@acme.test,priya,left\n",
        name("Casey"),
        name("Priya"),
        name("Ana"),
        name("Lee")
    );
    let teams = format!(
        "[[team]]\nid = \"eng\"\nname = \"Eng {h}\"\nlead = \"cto\"\nmembers = [\"cto\"]\n\n[[team]]\nid = \"payments\"\nname = \"Payments {h}\"\nparent = \"eng\"\nlead = \"priya\"\nmembers = [\"priya\", \"ana\"]\n"
    );
    let rotations = format!(
        "[[rotation]]\nid = \"pay-primary\"\nname = \"Primary {h}\"\nteam = \"payments\"\nmembers = [\"ana\"]\n\n[[rotation.shift]]\nperson = \"ana\"\nstart = \"2026-03-04T09:00:00Z\"\nend = \"2026-03-09T09:00:00Z\"\n"
    );
    let areas = format!(
        "[[area]]\nid = \"root\"\nname = \"Acme {h}\"\nowner = \"cto\"\n\n[[area]]\nid = \"payments\"\nname = \"Payments {h}\"\nparent = \"root\"\nowner = \"priya\"\ntags = [\"pii {h}\"]\nnotes = \"Card data {h}\"\nescalate_days = 1\n\n[[area.entitlement]]\nid = \"pay-db:read\"\nname = \"Read {h}\"\nupstream = \"okta:DB {h}\"\n\n[[area.entitlement]]\nid = \"pay-db:admin\"\nname = \"Admin {h}\"\n"
    );
    let rules = format!(
        "[[rule]]\nid = \"pay-read\"\narea = \"payments\"\nauthor = \"priya\"\nwhy = \"Because {h}\"\ngrant = [\"pay-db:read\"]\nteam = \"payments\"\n\n[[rule]]\nid = \"pay-oncall\"\narea = \"payments\"\nauthor = \"priya\"\nwhy = \"On call {h}\"\ngrant = [\"pay-db:admin\"]\nrotation = \"pay-primary\"\n"
    );
    let files = [
        ("people.csv", people),
        ("teams.toml", teams),
        ("rotations.toml", rotations),
        ("trainings.csv", "person,course,completed,expires\n".to_string()),
        ("areas.toml", areas),
        ("rules.toml", rules),
        (
            "grants.csv",
            "person,entitlement,granted_by,granted_at,basis,expires\nlee,pay-db:read,priya,2025-06-01T00:00:00Z,manual,\n".to_string(),
        ),
    ];
    std::fs::create_dir_all(org).unwrap();
    for (file, body) in files {
        std::fs::write(org.join(file), body).unwrap();
    }
}

fn setup() -> Org {
    let dir = tempfile::tempdir().unwrap();
    let org = dir.path().join("org");
    write_org(&org);
    Org {
        db: dir.path().join("steward.db"),
        org,
        dir,
    }
}

/// What must never be in bytes written to a terminal.
fn raw_controls(bytes: &[u8]) -> Vec<String> {
    let mut found = Vec::new();
    if bytes.contains(&0x1b) {
        found.push("ESC".to_string());
    }
    if bytes.iter().any(|&b| (0x80..=0x9f).contains(&b)) {
        // Only as a continuation byte of a printable character is it fine.
        let text = String::from_utf8_lossy(bytes);
        for c in text.chars() {
            if ('\u{80}'..='\u{9f}').contains(&c) || c == '\u{fffd}' {
                found.push(format!("C1 {:?}", c));
                break;
            }
        }
    }
    let text = String::from_utf8_lossy(bytes);
    for bidi in ['\u{202e}', '\u{202c}', '\u{2066}', '\u{200f}'] {
        if text.contains(bidi) {
            found.push(format!("bidi {:?}", bidi));
        }
    }
    if text.contains('\u{7}') {
        found.push("BEL".into());
    }
    found
}

struct Ran {
    code: i32,
    out: Vec<u8>,
    err: Vec<u8>,
}

fn steward(o: &Org, config: Option<&Path>, args: &[&str]) -> Ran {
    let mut c = Command::cargo_bin("steward").unwrap();
    c.env_remove("STEWARD_AS")
        .env("STEWARD_NOW", NOW)
        .env("STEWARD_DB", &o.db)
        .env(
            "STEWARD_CONFIG",
            config.map_or_else(|| o.dir.path().join("none.toml"), Path::to_path_buf),
        )
        .env("STEWARD_LOG_DIR", o.dir.path().join("logs"))
        .env("HOSTILE_TOKEN", "tok-hostile-1234")
        .args(args);
    let out = c.output().unwrap();
    let ran = Ran {
        code: out.status.code().unwrap_or(-1),
        out: out.stdout,
        err: out.stderr,
    };
    let found: Vec<String> = raw_controls(&ran.out)
        .into_iter()
        .map(|f| format!("stdout: {f}"))
        .chain(
            raw_controls(&ran.err)
                .into_iter()
                .map(|f| format!("stderr: {f}")),
        )
        .collect();
    assert!(
        found.is_empty(),
        "steward {args:?} wrote {found:?}:\n{}\n{}",
        String::from_utf8_lossy(&ran.out),
        String::from_utf8_lossy(&ran.err)
    );
    ran
}

fn text(r: &Ran) -> String {
    String::from_utf8_lossy(&r.out).to_string() + &String::from_utf8_lossy(&r.err)
}

#[test]
fn every_command_shows_hostile_text_visibly_and_never_raw() {
    let o = setup();
    let org = o.org.to_str().unwrap().to_string();
    let r = steward(&o, None, &["sync", "--org", &org]);
    assert_eq!(r.code, 0, "{}", text(&r));
    for args in [
        vec!["status"],
        vec!["check"],
        vec!["suggest"],
        vec!["suggest", "--as", "priya"],
        vec!["why", "lee", "pay-db:read"],
        vec!["why", "ana", "pay-db:read"],
        vec!["rules"],
        vec!["delegations", "--as", "cto"],
        vec!["digest", "--as", "priya"],
        vec!["digest", "--all", "--dry-run"],
    ] {
        let r = steward(&o, None, &args);
        assert!(r.code == 0 || r.code == 1, "{args:?}: {}", text(&r));
    }
    // The visible form is there, not leftovers of the sequences.
    let why = text(&steward(&o, None, &["why", "ana", "pay-db:read"]));
    assert!(why.contains("\\u{1b}[31mRED\\u{1b}[0m"), "{why}");
    assert!(
        why.contains("\\u{9b}2J") && why.contains("\\u{202e}txet"),
        "{why}"
    );
    let r = steward(
        &o,
        None,
        &["decide", "accept", "ana", "pay-db:read", "--as", "priya"],
    );
    assert_eq!(r.code, 0, "{}", text(&r));
    for args in [
        vec!["plan", "--as", "priya"],
        vec!["apply", "--as", "priya", "--dry-run"],
        vec!["audit"],
    ] {
        let r = steward(&o, None, &args);
        assert_eq!(r.code, 0, "{args:?}: {}", text(&r));
    }
}

/// Whether some string in `v` (or in JSON held in one) holds `text`.
fn holds(v: &serde_json::Value, text: &str) -> bool {
    match v {
        serde_json::Value::String(s) => {
            s.contains(text)
                || serde_json::from_str::<serde_json::Value>(s)
                    .is_ok_and(|inner| holds(&inner, text))
        }
        serde_json::Value::Array(a) => a.iter().any(|x| holds(x, text)),
        serde_json::Value::Object(o) => o.values().any(|x| holds(x, text)),
        _ => false,
    }
}

#[test]
fn json_output_stays_valid_json_with_the_same_text() {
    let o = setup();
    let org = o.org.to_str().unwrap().to_string();
    assert_eq!(steward(&o, None, &["sync", "--org", &org]).code, 0);
    let r = steward(&o, None, &["suggest", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&r.out).unwrap();
    assert!(v.as_array().is_some_and(|a| !a.is_empty()), "{v}");
    let r = steward(&o, None, &["rules", "--json"]);
    let _: serde_json::Value = serde_json::from_slice(&r.out).unwrap();
    assert_eq!(
        steward(
            &o,
            None,
            &["decide", "accept", "ana", "pay-db:read", "--as", "priya"]
        )
        .code,
        0
    );
    // A reason given with the decision comes back in the audit export.
    let reason = format!("not now {HOSTILE}");
    let r = steward(
        &o,
        None,
        &[
            "decide",
            "dismiss",
            "ana",
            "pay-db:admin",
            "--as",
            "priya",
            "--reason",
            &reason,
        ],
    );
    assert_eq!(r.code, 0, "{}", text(&r));
    let r = steward(&o, None, &["plan", "--as", "priya", "--json"]);
    let _: serde_json::Value = serde_json::from_slice(&r.out).unwrap();
    let r = steward(&o, None, &["audit", "export", "--jsonl"]);
    let mut kept = false;
    for line in String::from_utf8_lossy(&r.out).lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        kept |= holds(&v, &reason);
    }
    assert!(kept, "the reason is kept as data, whole");
}

#[test]
fn an_error_body_from_a_server_is_shown_visibly_by_sync_and_status() {
    let o = setup();
    let server = FaultServer::start(|_, _| {
        Reply::status(
            500,
            serde_json::json!({ "detail": format!("backend {HOSTILE}") }).to_string()
                + "\u{1b}]0;raw-title\u{7}\u{9b}31m",
        )
    });
    let config = o.dir.path().join("steward.toml");
    std::fs::write(
        &config,
        format!(
            "[[source]]\nkind = \"scim\"\nname = \"okta\"\nurl = \"{}/scim/v2\"\ntoken_env = \"HOSTILE_TOKEN\"\nretries = 0\n",
            server.base
        ),
    )
    .unwrap();
    let r = steward(&o, Some(&config), &["sync"]);
    assert_eq!(r.code, 1, "{}", text(&r));
    assert!(
        text(&r).contains("\\u{1b}]0;raw-title\\u{7}"),
        "{}",
        text(&r)
    );
    let r = steward(&o, Some(&config), &["status"]);
    assert!(text(&r).contains("LAST SYNC FAILED"), "{}", text(&r));
    assert!(text(&r).contains("\\u{9b}31m"), "{}", text(&r));
}

#[test]
fn a_webhook_gets_slack_escaped_text() {
    let payload = steward::digest::webhook::payload(&format!("area Payments {HOSTILE}"));
    let text = payload["text"].as_str().unwrap();
    assert!(!text.contains('<') && !text.contains('>'), "{text}");
    assert!(text.contains("&lt;!channel&gt;"), "{text}");
    assert!(
        text.contains("&lt;https://evil.example|Re-authenticate&gt; &amp;"),
        "{text}"
    );
    assert!(raw_controls(text.as_bytes()).is_empty(), "{text}");
}

/// The screen of a console opened on the hostile organization.
fn console_screen(o: &Org, w: u16, h: u16) -> String {
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;
    let store = steward::store::Store::open_existing(&o.db).unwrap();
    let mut app = steward::tui::app::App::new(
        store,
        "priya",
        NOW.parse().unwrap(),
        Vec::new(),
        steward::tui::theme::Theme::color(),
    )
    .unwrap();
    app.feed(steward::tui::update::Msg::Resize(w, h));
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    term.draw(|f| steward::tui::view::render(&app.state, &app.theme, f))
        .unwrap();
    let buf = term.backend().buffer().clone();
    let mut out = String::new();
    for y in 0..h {
        for x in 0..w {
            out.push_str(buf[(x, y)].symbol());
        }
        out.push('\n');
    }
    out
}

/// Every `[31mRED` on screen comes with its ESC shown: no leftovers.
fn no_leftovers(screen: &str) {
    let red = screen.matches("[31mRED").count();
    assert!(red > 0, "the hostile text is on screen:\n{screen}");
    assert_eq!(
        screen.matches("\\u{1b}[31mRED").count(),
        red,
        "leftovers of an escape sequence:\n{screen}"
    );
    assert!(raw_controls(screen.as_bytes()).is_empty(), "{screen}");
}

#[test]
fn the_console_shows_the_visible_form_not_leftovers() {
    let o = setup();
    let org = o.org.to_str().unwrap().to_string();
    assert_eq!(steward(&o, None, &["sync", "--org", &org]).code, 0);
    let screen = console_screen(&o, 200, 50);
    no_leftovers(&screen);
    assert!(screen.contains("\\u{202e}txet"), "{screen}");
}

#[test]
fn the_console_in_a_real_terminal_shows_the_visible_form() {
    let o = setup();
    let org = o.org.to_str().unwrap().to_string();
    assert_eq!(steward(&o, None, &["sync", "--org", &org]).code, 0);
    let cmd = format!(
        "STEWARD_NOW={NOW} STEWARD_DB={} STEWARD_CONFIG={} STEWARD_LOG_DIR={} {} --as priya",
        o.db.display(),
        o.dir.path().join("none.toml").display(),
        o.dir.path().join("logs").display(),
        env!("CARGO_BIN_EXE_steward")
    );
    let s = tmux::Session::start("hostile", "h", o.dir.path(), (200, 50), &cmd);
    let screen = s.wait_for("[31mRED");
    let title = s.title();
    no_leftovers(&screen);
    assert!(!title.contains("pwned"), "the title was changed");
}
