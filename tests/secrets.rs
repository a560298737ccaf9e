//! Tokens stay secret: a full sync (SCIM on a real scim2-server, PagerDuty on
//! Prism) and an apply over SCIM run with recognizable tokens and every log
//! level on; then the cache (with its -wal/-shm), every log file, every
//! command's stdout and stderr and the audit export are searched byte by byte
//! for them. Hostile servers that echo the Authorization header back in their
//! error bodies must not get the token into steward's errors either. Files
//! steward creates are the user's alone.

mod peers;

use peers::{FaultServer, Reply, Seen, free_port, pagerduty_mock, request, write_config};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const NOW: &str = "2026-11-24T12:00:00Z";
const SCIM_TOKEN: &str = "stw-tok-8c1f0e0b-LEAK-CANARY";
const PD_TOKEN: &str = "stw-tok-5d2a9e71-PD-LEAK-CANARY";

/// What no byte sequence steward writes may contain: the tokens, and the
/// parts that make them recognizable (a cut or re-encoded copy still leaks).
const NEEDLES: &[&str] = &[SCIM_TOKEN, PD_TOKEN, "8c1f0e0b", "5d2a9e71", "LEAK-CANARY"];

fn leaks(bytes: &[u8]) -> Vec<&'static str> {
    NEEDLES
        .iter()
        .copied()
        .filter(|n| bytes.windows(n.len()).any(|w| w == n.as_bytes()))
        .collect()
}

/// Every command's output, kept to be searched at the end.
#[derive(Default)]
struct Transcript {
    outputs: Vec<(String, Vec<u8>)>,
}

struct Run {
    code: i32,
    text: String,
}

impl Transcript {
    fn steward(&mut self, dir: &Path, args: &[&str]) -> Run {
        let out = Command::new(env!("CARGO_BIN_EXE_steward"))
            .args(args)
            .env("STEWARD_DB", dir.join("data/steward.db"))
            .env("STEWARD_CONFIG", dir.join("steward.toml"))
            .env("STEWARD_DATA_DIR", dir.join("data"))
            .env("STEWARD_LOG_DIR", dir.join("logs"))
            .env("STEWARD_LOG", "trace")
            .env("STEWARD_NOW", NOW)
            .env("SECRETS_SCIM_TOKEN", SCIM_TOKEN)
            .env("SECRETS_PD_TOKEN", PD_TOKEN)
            .env_remove("STEWARD_AS")
            .output()
            .unwrap_or_else(|e| panic!("cannot run steward: {e}"));
        self.outputs
            .push((format!("stdout of steward {args:?}"), out.stdout.clone()));
        self.outputs
            .push((format!("stderr of steward {args:?}"), out.stderr.clone()));
        Run {
            code: out.status.code().unwrap_or(-1),
            text: String::from_utf8_lossy(&out.stdout).to_string()
                + &String::from_utf8_lossy(&out.stderr),
        }
    }

    fn ok(&mut self, dir: &Path, args: &[&str]) -> String {
        let r = self.steward(dir, args);
        assert_eq!(r.code, 0, "steward {args:?} failed:\n{}", r.text);
        r.text
    }

    /// Searches every output and every file under `dir` for the tokens.
    fn assert_no_token(&self, dir: &Path) {
        let mut found = Vec::new();
        let mut searched = 0;
        for (what, bytes) in &self.outputs {
            searched += 1;
            for n in leaks(bytes) {
                found.push(format!("{what} contains {n:?}"));
            }
        }
        for file in files_under(dir) {
            searched += 1;
            let bytes =
                std::fs::read(&file).unwrap_or_else(|e| panic!("read {}: {e}", file.display()));
            for n in leaks(&bytes) {
                found.push(format!("{} contains {n:?}", file.display()));
            }
        }
        assert!(searched > 0);
        assert!(found.is_empty(), "token leaked:\n{}", found.join("\n"));
    }
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap_or_else(|e| panic!("read {}: {e}", d.display())) {
            let p = e.unwrap_or_else(|e| panic!("{e}")).path();
            if p.is_dir() {
                todo.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("stat {}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

/// A real scim2-server whose bearer token is [`SCIM_TOKEN`]; killed when dropped.
struct ScimPeer {
    child: Child,
    base: String,
}

impl Drop for ScimPeer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl ScimPeer {
    fn start() -> ScimPeer {
        let bin = peers::scim_server_bin();
        let port = free_port();
        let child = Command::new(&bin)
            .args(["--hostname", "127.0.0.1", "--port", &port.to_string()])
            .args(["--bearer-token", SCIM_TOKEN])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", bin.display()));
        let mut peer = ScimPeer {
            child,
            base: format!("http://127.0.0.1:{port}/v2"),
        };
        let start = Instant::now();
        while peer
            .call("GET", "ServiceProviderConfig", None)
            .is_none_or(|(s, _)| s != 200)
        {
            if let Ok(Some(status)) = peer.child.try_wait() {
                panic!("scim2-server exited ({status}) before answering");
            }
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "scim2-server did not answer within 30s"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        peer
    }

    fn call(
        &mut self,
        method: &str,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> Option<(u16, serde_json::Value)> {
        let auth = format!("Bearer {SCIM_TOKEN}");
        let body = body.map(|b| b.to_string());
        let r = request(
            method,
            &format!("{}/{path}", self.base),
            &[
                ("Authorization", &auth),
                ("Content-Type", "application/scim+json"),
            ],
            body.as_deref(),
        )
        .ok()?;
        Some((r.status, serde_json::from_str(&r.body).unwrap_or_default()))
    }

    fn create(&mut self, path: &str, body: serde_json::Value) -> String {
        let (status, v) = self
            .call("POST", path, Some(body))
            .unwrap_or_else(|| panic!("POST {path}: no answer"));
        assert!(status < 300, "POST {path}: HTTP {status}: {v}");
        v["id"].as_str().unwrap_or_default().to_string()
    }

    fn user(&mut self, name: &str, email: &str) -> String {
        self.create(
            "Users",
            serde_json::json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                "userName": name, "displayName": name,
                "emails": [{"value": email, "primary": true}], "active": true}),
        )
    }

    fn group(&mut self, name: &str, members: &[&str]) -> String {
        let members: Vec<serde_json::Value> = members
            .iter()
            .map(|m| serde_json::json!({"value": m}))
            .collect();
        self.create(
            "Groups",
            serde_json::json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                "displayName": name, "members": members}),
        )
    }

    fn members(&mut self, group: &str) -> Vec<String> {
        let (_, g) = self
            .call("GET", &format!("Groups/{group}"), None)
            .unwrap_or_else(|| panic!("GET Groups/{group}: no answer"));
        let mut m: Vec<String> = g["members"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|x| x["value"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        m.sort();
        m
    }
}

fn write_org(dir: &Path) {
    let org = dir.join("org");
    std::fs::create_dir_all(&org).unwrap();
    std::fs::write(
        org.join("areas.toml"),
        r#"
[[area]]
id = "payments"
name = "Payments"
owner = "priya"

[[area.entitlement]]
id = "payments-db:read"
name = "read the payments database"
upstream = "okta:payments-db-read"
"#,
    )
    .unwrap();
    std::fs::write(
        org.join("rules.toml"),
        r#"
[[rule]]
id = "pay-read"
area = "payments"
author = "priya"
why = "payments engineers read the payments db"
grant = ["payments-db:read"]
team = "payments"
"#,
    )
    .unwrap();
}

#[test]
fn a_full_sync_and_apply_leave_the_tokens_nowhere_and_files_private() {
    let mut scim = ScimPeer::start();
    let prism = pagerduty_mock();
    scim.user("priya", "priya@acme.test");
    let ana = scim.user("ana", "ana@acme.test");
    scim.group("team-payments", &[&ana]);
    let db = scim.group("payments-db-read", &[]);

    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    write_org(dir);
    write_config(
        dir,
        &format!(
            r#"me = "priya"

[[source]]
kind = "files"
dir = "org"
provides = ["areas", "entitlements", "rules"]

[[source]]
kind = "scim"
name = "okta"
url = "{}"
token_env = "SECRETS_SCIM_TOKEN"
team_prefix = "team-"
page_size = 1
backoff_ms = 50

[[source]]
kind = "pagerduty"
name = "pd"
url = "{}"
token_env = "SECRETS_PD_TOKEN"
rotations = {{ "eng-daily" = "PI7DH85" }}
backoff_ms = 50
"#,
            scim.base, prism.base
        ),
    );
    let mut t = Transcript::default();
    t.ok(dir, &["config", "check"]);
    let sync = t.ok(dir, &["sync"]);
    assert!(sync.contains("okta: synced 2 people"), "{sync}");
    assert!(sync.contains("pd: synced 1 rotations"), "{sync}");
    t.ok(dir, &["suggest", "--as", "priya"]);
    t.ok(
        dir,
        &[
            "decide",
            "accept",
            "ana",
            "payments-db:read",
            "--as",
            "priya",
        ],
    );
    t.ok(dir, &["plan", "--as", "priya"]);
    t.ok(dir, &["apply", "--as", "priya", "--dry-run"]);
    let applied = t.ok(dir, &["apply", "--as", "priya"]);
    assert!(applied.contains("1 applied, 0 failed"), "{applied}");
    assert_eq!(scim.members(&db), vec![ana.clone()]);
    t.ok(dir, &["sync"]);
    t.ok(dir, &["status"]);
    let export = t.ok(dir, &["audit", "export", "--jsonl"]);
    assert!(export.contains("\"action\":\"apply\""), "{export}");
    assert!(t.ok(dir, &["audit", "verify"]).contains("intact"));

    // The logs were written (at trace level) and the cache is there.
    let log = dir.join("logs/steward.log");
    let log_text = std::fs::read_to_string(&log).unwrap();
    assert!(log_text.contains("synced"), "{log_text}");
    let db_file = dir.join("data/steward.db");
    assert!(db_file.exists());
    let cache_files: Vec<PathBuf> = ["", "-wal", "-shm"]
        .iter()
        .map(|s| dir.join(format!("data/steward.db{s}")))
        .filter(|p| p.exists())
        .collect();
    t.assert_no_token(dir);

    // Modes: the user's alone. (`audit export` writes to stdout only; it
    // creates no file, so there is no export file mode to check.)
    assert_eq!(mode(&dir.join("data")), 0o700, "cache directory");
    for f in &cache_files {
        assert_eq!(mode(f), 0o600, "{}", f.display());
    }
    assert_eq!(mode(&dir.join("logs")), 0o700, "log directory");
    for f in files_under(&dir.join("logs")) {
        assert_eq!(mode(&f), 0o600, "{}", f.display());
    }
}

/// Echoes the request's Authorization header back in an error body, the way
/// a careless or hostile server might.
fn echo(req: &Seen, code: u16) -> Reply {
    let auth = req.header("authorization").unwrap_or("(none)");
    Reply::status(
        code,
        serde_json::json!({"detail": format!("bad credentials: {auth}"), "token": auth.split_whitespace().last()})
            .to_string(),
    )
}

#[test]
fn servers_that_echo_the_token_in_errors_do_not_get_it_into_steward_output() {
    // Users answer 500 (retried, then failing), Groups 401; PagerDuty 401.
    let server = FaultServer::start(|req, _| {
        if req.path.contains("/Users") {
            echo(req, 500)
        } else {
            echo(req, 401)
        }
    });
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    write_config(
        dir,
        &format!(
            r#"[[source]]
kind = "scim"
name = "okta"
url = "{0}/scim/v2"
token_env = "SECRETS_SCIM_TOKEN"
retries = 1
backoff_ms = 10

[[source]]
kind = "pagerduty"
name = "pd"
url = "{0}/pd"
token_env = "SECRETS_PD_TOKEN"
rotations = {{ "eng-daily" = "PI7DH85" }}
retries = 0
"#,
            server.base
        ),
    );
    let mut t = Transcript::default();
    let r = t.steward(dir, &["sync"]);
    assert_eq!(r.code, 1, "{}", r.text);
    assert!(r.text.contains("okta: FAILED"), "{}", r.text);
    assert!(r.text.contains("pd: FAILED"), "{}", r.text);
    assert!(
        r.text.contains("HTTP 500") || r.text.contains("HTTP 401"),
        "{}",
        r.text
    );
    // The server did get the tokens (so it could echo them).
    let seen = server.requests();
    assert!(
        seen.iter()
            .any(|s| s.header("authorization") == Some(&format!("Bearer {SCIM_TOKEN}")))
    );
    assert!(
        seen.iter()
            .any(|s| s.header("authorization") == Some(&format!("Token token={PD_TOKEN}")))
    );
    t.steward(dir, &["status"]);
    t.assert_no_token(dir);
}

fn list(items: serde_json::Value) -> Reply {
    let n = items.as_array().map_or(0, Vec::len);
    Reply::ok(
        serde_json::json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
            "totalResults": n, "startIndex": 1, "itemsPerPage": n, "Resources": items})
        .to_string(),
    )
}

/// A SCIM server that reads fine but answers every PATCH with a 500 whose
/// body echoes the Authorization header.
fn reads_fine_patches_echo(req: &Seen) -> Reply {
    let ana = serde_json::json!({"id": "u-ana", "userName": "ana",
        "emails": [{"value": "ana@acme.test", "primary": true}]});
    let priya = serde_json::json!({"id": "u-priya", "userName": "priya",
        "emails": [{"value": "priya@acme.test", "primary": true}]});
    let db = serde_json::json!({"id": "g-db", "displayName": "payments-db-read", "members": []});
    let team = serde_json::json!({"id": "g-team", "displayName": "team-payments",
        "members": [{"value": "u-ana"}]});
    let p = req.path.as_str();
    if req.method == "PATCH" {
        echo(req, 500)
    } else if p.contains("/Users") && p.contains("filter") {
        list(serde_json::json!([ana]))
    } else if p.contains("/Users") {
        list(serde_json::json!([priya, ana]))
    } else if p.contains("/Groups/g-db") {
        Reply::ok(db.to_string())
    } else if p.contains("/Groups/") {
        Reply::status(404, "{}")
    } else if p.contains("/Groups") && p.contains("filter") {
        list(serde_json::json!([db]))
    } else if p.contains("/Groups") {
        list(serde_json::json!([team, db]))
    } else {
        Reply::status(404, "{}")
    }
}

#[test]
fn an_apply_refused_with_the_token_echoed_back_does_not_show_it() {
    let server = FaultServer::start(|req, _| reads_fine_patches_echo(req));
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    write_org(dir);
    write_config(
        dir,
        &format!(
            r#"me = "priya"

[[source]]
kind = "files"
dir = "org"
provides = ["areas", "entitlements", "rules"]

[[source]]
kind = "scim"
name = "okta"
url = "{}/scim/v2"
token_env = "SECRETS_SCIM_TOKEN"
team_prefix = "team-"
retries = 1
backoff_ms = 10
"#,
            server.base
        ),
    );
    let mut t = Transcript::default();
    let sync = t.ok(dir, &["sync"]);
    assert!(sync.contains("okta: synced 2 people"), "{sync}");
    t.ok(
        dir,
        &[
            "decide",
            "accept",
            "ana",
            "payments-db:read",
            "--as",
            "priya",
        ],
    );
    let applied = t.steward(dir, &["apply", "--as", "priya"]);
    assert!(applied.text.contains("HTTP 500"), "{}", applied.text);
    assert!(
        applied.text.contains("0 applied, 1 failed"),
        "{}",
        applied.text
    );
    assert!(
        server.requests().iter().any(|s| s.method == "PATCH"
            && s.header("authorization") == Some(&format!("Bearer {SCIM_TOKEN}"))),
        "no PATCH reached the server"
    );
    t.ok(dir, &["audit", "export", "--jsonl"]);
    t.ok(dir, &["status"]);
    t.assert_no_token(dir);
}

/// A token with the characters encodings change (`/`, `+`, `=`).
const SHAPED_TOKEN: &str = "stw/Tok+9Qz7Wm3Xv/Kp2=Hn4";

/// Base64 (standard alphabet, padded) of `bytes`.
fn base64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Every form of the token a hostile server echoes.
fn echoed_forms(token: &str) -> Vec<String> {
    let percent: String = token
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    vec![
        token.to_string(),
        token.to_uppercase(),
        token.to_lowercase(),
        percent.clone(),
        percent.to_lowercase(),
        token.replace('/', "\\/"),
        base64(token.as_bytes()),
        base64(format!("user:{token}").as_bytes()),
        token[..token.len() / 2].to_string(),
        token[token.len() / 2..].to_string(),
    ]
}

/// Any 8 characters of any echoed form, in any case, in `bytes`.
fn shaped_leaks(bytes: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(bytes).to_ascii_lowercase();
    let mut found = Vec::new();
    for form in echoed_forms(SHAPED_TOKEN) {
        let form = form.to_ascii_lowercase();
        for i in 0..=form.len().saturating_sub(8) {
            let piece = &form[i..(i + 8).min(form.len())];
            if text.contains(piece) {
                found.push(piece.to_string());
            }
        }
    }
    found
}

#[test]
fn a_token_echoed_encoded_cased_escaped_or_cut_is_still_redacted() {
    let server = FaultServer::start(|req, _| {
        let token = req
            .header("authorization")
            .and_then(|a| a.strip_prefix("Bearer "))
            .unwrap_or("(none)")
            .to_string();
        let body = serde_json::json!({
            "detail": format!("token rejected: {}", echoed_forms(&token).join(" | ")),
        })
        .to_string()
        .replace('/', "\\/");
        Reply::status(401, body)
    });
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    write_config(
        dir,
        &format!(
            "[[source]]\nkind = \"scim\"\nname = \"okta\"\nurl = \"{}/scim/v2\"\ntoken_env = \"SHAPED_TOKEN\"\nretries = 0\n",
            server.base
        ),
    );
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_steward"))
            .args(args)
            .env("STEWARD_DB", dir.join("data/steward.db"))
            .env("STEWARD_CONFIG", dir.join("steward.toml"))
            .env("STEWARD_LOG_DIR", dir.join("logs"))
            .env("STEWARD_LOG", "trace")
            .env("STEWARD_NOW", NOW)
            .env("SHAPED_TOKEN", SHAPED_TOKEN)
            .output()
            .unwrap()
    };
    let out = run(&["sync"]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("HTTP 401") && text.contains("[redacted]"),
        "{text}"
    );
    let status = run(&["status"]);
    assert!(
        server
            .requests()
            .iter()
            .any(|r| r.header("authorization") == Some(&format!("Bearer {SHAPED_TOKEN}")))
    );
    let mut found = Vec::new();
    for (what, bytes) in [
        ("sync stdout", &out.stdout),
        ("sync stderr", &out.stderr),
        ("status", &status.stdout),
    ] {
        for piece in shaped_leaks(bytes) {
            found.push(format!("{what}: {piece}"));
        }
    }
    for file in files_under(dir) {
        if file.ends_with("steward.toml") {
            continue;
        }
        for piece in shaped_leaks(&std::fs::read(&file).unwrap()) {
            found.push(format!("{}: {piece}", file.display()));
        }
    }
    assert!(found.is_empty(), "token leaked:\n{}", found.join("\n"));
}

#[test]
fn a_password_in_a_url_is_refused_and_never_shown() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    write_config(
        dir,
        "[[source]]\nkind = \"scim\"\nname = \"okta\"\nurl = \"https://svc:pw-7Hq2xLm9Zr@okta.example.test/scim/v2\"\ntoken_env = \"X_TOKEN\"\n\n[[source]]\nkind = \"ics\"\n[[source.feed]]\nrotation = \"db\"\nurl = \"https://u:feedpass-3Kd8@cal.example.test/db.ics\"\n\n[[digest.webhook]]\nname = \"chat\"\nurl = \"https://hook:hookpass-9Wq4@chat.example.test/x\"\npeople = [\"*\"]\n",
    );
    let run = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_steward"))
            .args(args)
            .env("STEWARD_DB", dir.join("data/steward.db"))
            .env("STEWARD_CONFIG", dir.join("steward.toml"))
            .env("STEWARD_LOG_DIR", dir.join("logs"))
            .env("X_TOKEN", "x")
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).to_string()
                + &String::from_utf8_lossy(&out.stderr),
        )
    };
    let (code, text) = run(&["config", "check"]);
    assert_eq!(code, Some(1), "{text}");
    assert_eq!(
        text.matches("a password in a URL does not belong in the config file")
            .count(),
        3,
        "{text}"
    );
    for secret in ["pw-7Hq2xLm9Zr", "feedpass-3Kd8", "hookpass-9Wq4"] {
        assert!(!text.contains(secret), "{text}");
    }
    let (code, text) = run(&["sync"]);
    assert_eq!(code, Some(1), "{text}");
    assert!(!text.contains("pw-7Hq2xLm9Zr"), "{text}");
}

#[test]
fn a_token_is_never_sent_over_plain_http_to_another_machine() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    write_config(
        dir,
        "[[source]]\nkind = \"scim\"\nname = \"okta\"\nurl = \"http://okta.example.invalid/scim/v2\"\ntoken_env = \"X_TOKEN\"\nretries = 0\n",
    );
    let out = Command::new(env!("CARGO_BIN_EXE_steward"))
        .arg("sync")
        .env("STEWARD_DB", dir.join("data/steward.db"))
        .env("STEWARD_CONFIG", dir.join("steward.toml"))
        .env("STEWARD_LOG_DIR", dir.join("logs"))
        .env("X_TOKEN", "tok-plain-http-1234")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("refusing to send this source's credential over plain http://"),
        "{text}"
    );
}
