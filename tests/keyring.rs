//! Credentials in the OS keyring (on Linux, the kernel's keyutils persistent
//! keyring): `steward secret set` stores a token read from stdin, `config
//! check` says the entry exists without printing it, a sync sends it to a
//! local server that checks the Authorization header, and the token appears
//! in no output, no log and not in the cache.

mod peers;

use peers::{FaultServer, Reply, write_config};
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

const NOW: &str = "2026-11-24T12:00:00Z";

/// Deletes the keyring entry when the test ends, pass or fail.
struct Entry(String);

impl Drop for Entry {
    fn drop(&mut self) {
        let _ = Command::new(env!("CARGO_BIN_EXE_steward"))
            .args(["secret", "delete", &self.0])
            .output();
    }
}

/// Runs steward with `stdin`; (exit code, stdout + stderr).
fn steward(dir: &Path, args: &[&str], stdin: &str) -> (i32, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_steward"))
        .args(args)
        .env("STEWARD_DB", dir.join("steward.db"))
        .env("STEWARD_CONFIG", dir.join("steward.toml"))
        .env("STEWARD_LOG_DIR", dir.join("logs"))
        .env("STEWARD_NOW", NOW)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run steward");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write stdin");
    let out = child.wait_with_output().expect("wait for steward");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr),
    )
}

/// Every file under `dir`, as bytes, with its path.
fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(files(&p));
        } else {
            out.push((p.display().to_string(), std::fs::read(&p).unwrap()));
        }
    }
    out
}

fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

#[test]
fn a_token_stored_with_secret_set_is_used_by_sync_and_shown_nowhere() {
    let unique = format!(
        "{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0)
    );
    let name = format!("steward-test-{unique}");
    let _cleanup = Entry(name.clone());
    let token = format!("kr-tok-{unique}-Zq9");
    let expected = format!("Bearer {token}");
    let server = FaultServer::start(move |r, _| {
        if r.header("authorization") != Some(expected.as_str()) {
            return Reply::status(401, r#"{"error":"unauthorized"}"#);
        }
        if r.path.starts_with("/api/catalog/entities") {
            let offset = r.path.contains("offset=0");
            return Reply::ok(if offset {
                serde_json::json!([
                    {"kind": "User", "metadata": {"name": "carol"},
                     "spec": {"profile": {"displayName": "Carol", "email": "carol@example.com"}}},
                    {"kind": "Group", "metadata": {"name": "payments"},
                     "spec": {"type": "team", "members": ["carol"], "children": []}}
                ])
                .to_string()
            } else {
                "[]".to_string()
            });
        }
        Reply::status(404, "{}")
    });
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    write_config(
        dir,
        &format!(
            "me = \"carol\"\n\n[[source]]\nkind = \"backstage\"\nname = \"catalog\"\nurl = \"{}\"\ntoken_keyring = \"{name}\"\nretries = 0\n",
            server.base
        ),
    );
    let mut outputs = Vec::new();

    // Before the secret exists: config check and sync say so, by name.
    let (code, out) = steward(dir, &["config", "check"], "");
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(&format!(
            "token_keyring: keyring entry {name} does not exist"
        )) && out.contains(&format!("steward secret set {name}")),
        "{out}"
    );
    outputs.push(out);
    let (code, out) = steward(dir, &["sync"], "");
    assert_ne!(code, 0, "{out}");
    assert!(out.contains(&name), "{out}");
    outputs.push(out);
    assert!(server.requests().is_empty(), "synced without a token");

    // Stored from stdin (as a pipe: `printf %s "$TOKEN" | steward secret set NAME`).
    let (code, out) = steward(dir, &["secret", "set", &name], &format!("{token}\n"));
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains(&format!("stored keyring entry {name}")),
        "{out}"
    );
    outputs.push(out);

    let (code, out) = steward(dir, &["config", "check"], "");
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains(&format!("token from keyring entry {name}: present")),
        "{out}"
    );
    outputs.push(out);

    // A sync in another process reads it and sends it.
    let (code, out) = steward(dir, &["sync"], "");
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("catalog: synced 1 people, 1 teams"), "{out}");
    outputs.push(out);
    let seen = server.requests();
    assert!(!seen.is_empty());
    assert!(
        seen.iter()
            .all(|r| r.header("authorization") == Some(format!("Bearer {token}").as_str())),
        "{seen:?}"
    );

    // Deleted: the next sync fails by name, keeping the cached data.
    let (code, out) = steward(dir, &["secret", "delete", &name], "");
    assert_eq!(code, 0, "{out}");
    outputs.push(out);
    let (code, out) = steward(dir, &["sync"], "");
    assert_ne!(code, 0, "{out}");
    assert!(out.contains(&format!("keyring entry {name}")), "{out}");
    outputs.push(out);
    let (code, out) = steward(dir, &["secret", "delete", &name], "");
    assert_eq!(code, 1, "{out}");
    outputs.push(out);

    for out in &outputs {
        assert!(!out.contains(&token), "the token was printed: {out}");
    }
    for (path, bytes) in files(dir) {
        assert!(!contains(&bytes, &token), "the token is in {path}");
    }
}

#[test]
fn token_env_and_token_keyring_exclude_each_other() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    write_config(
        dir,
        "[[source]]\nkind = \"backstage\"\nurl = \"http://127.0.0.1:9\"\ntoken_env = \"X_TOKEN\"\ntoken_keyring = \"x\"\n\n[[source]]\nkind = \"backstage\"\nname = \"b\"\nurl = \"http://127.0.0.1:9\"\ntoken_keyring = \"has space\"\n",
    );
    let (code, out) = steward(dir, &["config", "check"], "");
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("steward.toml:5: source backstage: `token_keyring`: give `token_env` or `token_keyring`, not both"),
        "{out}"
    );
    assert!(
        out.contains("`token_keyring`: \"has space\" is not a keyring entry name"),
        "{out}"
    );
}

#[test]
fn config_check_says_whether_the_smtp_password_entry_exists() {
    let name = format!("steward-test-smtp-{}", std::process::id());
    let _cleanup = Entry(name.clone());
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    write_config(
        dir,
        &format!(
            "me = \"carol\"\n\n[digest.smtp]\nhost = \"127.0.0.1\"\nsecurity = \"none\"\nusername = \"steward\"\npassword_keyring = \"{name}\"\nfrom = \"steward@acme.test\"\n"
        ),
    );
    let (code, out) = steward(dir, &["config", "check"], "");
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(&format!(
            "[digest.smtp]: `password_keyring`: keyring entry {name} does not exist"
        )),
        "{out}"
    );
    let password = "smtp-pw-9fK2 with spaces";
    let (code, out) = steward(dir, &["secret", "set", &name], password);
    assert_eq!(code, 0, "{out}");
    let (code, out) = steward(dir, &["config", "check"], "");
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains(&format!(
            "[digest.smtp] password from keyring entry {name}: present"
        )),
        "{out}"
    );
    assert!(!out.contains(password), "{out}");
}
