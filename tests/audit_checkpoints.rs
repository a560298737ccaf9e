//! Signed checkpoints of the audit log, on the real binary: OpenSSH's
//! `ssh-keygen -Y verify` accepts them, and `steward audit verify
//! --checkpoint` names each attack on the log (cut off its end, rewritten
//! and rehashed, swapped for another valid log, the checkpoint altered), a
//! wall clock that went back, and an independent script recomputes the
//! chain from `audit export --jsonl` as README.md describes it.

use assert_cmd::Command;
use predicates::prelude::*;
use std::path::{Path, PathBuf};

const PEOPLE: &str = "id,name,email,manager,status
priya,Priya Raman,priya@acme.test,,active
omar,Omar Haddad,omar@acme.test,priya,active
";

const AREAS: &str = r#"
[[area]]
id = "payments"
name = "Payments"
owner = "priya"

[[area.entitlement]]
id = "pay-db:read"
name = "Read the payments database"
"#;

/// A synced cache in a data directory of its own, with a log to grow.
struct Site {
    dir: tempfile::TempDir,
    /// Delegations made so far (each `grow` step makes one and ends it).
    delegations: usize,
}

impl Site {
    fn new() -> Site {
        let dir = tempfile::tempdir().unwrap();
        let org = dir.path().join("org");
        std::fs::create_dir(&org).unwrap();
        std::fs::write(org.join("people.csv"), PEOPLE).unwrap();
        std::fs::write(org.join("areas.toml"), AREAS).unwrap();
        // The other files an org directory must hold, with no rows.
        for name in [
            "teams.toml",
            "rotations.toml",
            "trainings.csv",
            "grants.csv",
            "rules.toml",
        ] {
            std::fs::write(org.join(name), "").unwrap();
        }
        let site = Site {
            dir,
            delegations: 0,
        };
        site.steward(&["sync", "--org"])
            .arg(&org)
            .assert()
            .success();
        site
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn data(&self) -> PathBuf {
        self.path("data")
    }

    fn db(&self) -> PathBuf {
        self.data().join("steward.db")
    }

    fn steward(&self, args: &[&str]) -> Command {
        let mut c = Command::cargo_bin("steward").unwrap();
        c.env_remove("STEWARD_AS")
            .env_remove("STEWARD_DB")
            .env_remove("STEWARD_NOW")
            .env("STEWARD_DATA_DIR", self.data())
            .env("STEWARD_CONFIG", self.path("steward.toml"))
            .env("STEWARD_LOG_DIR", self.path("logs"))
            .args(args);
        c
    }

    /// Two entries per step: a delegation, and its end.
    fn grow(&mut self, steps: usize) {
        for _ in 0..steps {
            self.delegations += 1;
            let id = self.delegations.to_string();
            self.steward(&["delegate", "payments", "--to", "omar", "--as", "priya"])
                .assert()
                .success();
            self.steward(&["undelegate", &id, "--as", "priya"])
                .assert()
                .success();
        }
    }

    /// Takes a checkpoint into `name` (and `name.sig`).
    fn checkpoint(&self, name: &str) -> PathBuf {
        let out = self.path(name);
        self.steward(&["audit", "checkpoint", "--out"])
            .arg(&out)
            .assert()
            .success()
            .stdout(predicate::str::contains("written to"));
        out
    }

    fn verify(&self, checkpoint: &Path) -> assert_cmd::assert::Assert {
        self.steward(&["audit", "verify", "--checkpoint"])
            .arg(checkpoint)
            .assert()
    }

    fn sql(&self, sql: &str) {
        rusqlite::Connection::open(self.db())
            .unwrap()
            .execute_batch(sql)
            .unwrap();
    }

    /// What someone who can write the cache does after an edit: recompute
    /// every hash (with the independent script).
    fn rechain(&self) {
        let status = std::process::Command::new("python3")
            .arg(script())
            .arg("rechain")
            .arg(self.db())
            .status()
            .unwrap();
        assert!(status.success());
    }
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/audit/chain.py")
}

/// `ssh-keygen -Y verify` of `file` against the log's `audit signer` line.
fn ssh_keygen_verify(site: &Site, file: &Path) -> std::process::Output {
    let line = site.steward(&["audit", "signer"]).output().unwrap();
    assert!(line.status.success());
    let allowed = site.path("allowed_signers");
    std::fs::write(&allowed, &line.stdout).unwrap();
    std::process::Command::new("ssh-keygen")
        .args(["-Y", "verify", "-f"])
        .arg(&allowed)
        .args(["-I", "steward", "-n", "steward-audit", "-s"])
        .arg(checkpoint_sig(file))
        .stdin(std::fs::File::open(file).unwrap())
        .output()
        .expect("ssh-keygen (openssh-client) is installed")
}

fn checkpoint_sig(file: &Path) -> PathBuf {
    PathBuf::from(format!("{}.sig", file.display()))
}

#[test]
fn a_checkpoint_verifies_with_openssh_and_holds_as_the_log_grows() {
    let mut site = Site::new();
    site.grow(2);
    let cp = site.checkpoint("cp");
    let text = std::fs::read_to_string(&cp).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(lines[0].starts_with("steward-audit/"), "{text}");
    assert_eq!(lines[1], "4");
    assert!(text.ends_with('\n'));

    let signer = site.steward(&["audit", "signer"]).output().unwrap();
    let signer = String::from_utf8(signer.stdout).unwrap();
    assert!(
        signer.starts_with("steward namespaces=\"steward-audit\" ssh-ed25519 AAAA"),
        "{signer}"
    );
    let key = site.data().join("audit-signing-key");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let private = std::fs::read_to_string(&key).unwrap();
    assert!(!signer.contains(private.lines().nth(1).unwrap()));

    let ssh = ssh_keygen_verify(&site, &cp);
    assert!(
        ssh.status.success(),
        "{}",
        String::from_utf8_lossy(&ssh.stderr)
    );
    assert!(
        String::from_utf8_lossy(&ssh.stdout)
            .contains("Good \"steward-audit\" signature for steward")
    );

    site.grow(1);
    site.verify(&cp).success().stdout(
        predicate::str::contains("audit log intact: 6 entries verified").and(
            predicate::str::contains("holds: the log extends its 4 entries"),
        ),
    );
}

#[test]
fn without_checkpoints_verify_says_it_proves_only_internal_consistency() {
    let mut site = Site::new();
    site.grow(1);
    site.steward(&["audit", "verify"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "proves only that the log is consistent with itself",
        ));
}

#[test]
fn entries_cut_off_the_end_fail_against_a_checkpoint() {
    let mut site = Site::new();
    site.grow(2);
    let cp = site.checkpoint("cp");
    site.sql("DELETE FROM audit WHERE seq >= 3");
    // On its own the shortened log is consistent...
    site.steward(&["audit", "verify"]).assert().success();
    // ...but not with what was signed.
    site.verify(&cp).failure().code(1).stderr(
        predicate::str::contains("the log has 2 entries, fewer than the 4 that checkpoint")
            .and(predicate::str::contains("entries were cut off its end")),
    );
}

#[test]
fn a_rewritten_and_rehashed_chain_fails_against_a_checkpoint() {
    let mut site = Site::new();
    site.grow(2);
    let cp = site.checkpoint("cp");
    site.grow(1);
    site.sql("UPDATE audit SET actor = 'omar' WHERE seq = 2");
    site.verify(&cp)
        .failure()
        .code(1)
        .stderr(predicate::str::contains("entry 2 is covered by checkpoint"));
    site.rechain();
    site.steward(&["audit", "verify"])
        .assert()
        .success()
        .stdout(predicate::str::contains("intact: 6 entries"));
    site.verify(&cp).failure().code(1).stderr(
        predicate::str::contains(
            "the log's first 4 entries no longer end in the head that checkpoint",
        )
        .and(predicate::str::contains("the chain was rewritten")),
    );
}

#[test]
fn another_valid_log_in_its_place_fails_against_a_checkpoint() {
    let mut site = Site::new();
    site.grow(2);
    let cp = site.checkpoint("cp");
    let mut other = Site::new();
    other.grow(3);
    other.steward(&["audit", "verify"]).assert().success();

    // The cache swapped; the key beside it kept.
    let saved = site.path("saved.db");
    std::fs::copy(site.db(), &saved).unwrap();
    std::fs::copy(other.db(), site.db()).unwrap();
    site.steward(&["audit", "verify"]).assert().success();
    site.verify(&cp).failure().code(1).stderr(
        predicate::str::contains("but this cache holds log")
            .and(predicate::str::contains("the log was swapped for another")),
    );

    // The whole data directory swapped, key and all.
    std::fs::copy(&saved, site.db()).unwrap();
    site.verify(&cp).success();
    let verify_other = || {
        other
            .steward(&["audit", "verify", "--checkpoint"])
            .arg(&cp)
            .assert()
            .failure()
            .code(1)
    };
    verify_other().stderr(predicate::str::contains("it has no signing key"));
    other.steward(&["audit", "signer"]).assert().success();
    verify_other().stderr(predicate::str::contains("not by this log's key"));

    // The other log's entries copied into this cache, hashes and all.
    site.sql(&format!(
        "ATTACH '{}' AS other; DELETE FROM audit; INSERT INTO audit SELECT * FROM other.audit;",
        other.db().display()
    ));
    site.verify(&cp)
        .failure()
        .code(1)
        .stderr(predicate::str::contains("copied in from another log"));
}

#[test]
fn an_altered_checkpoint_fails_with_steward_and_with_openssh() {
    let mut site = Site::new();
    site.grow(2);
    let cp = site.checkpoint("cp");
    let text = std::fs::read_to_string(&cp).unwrap();
    std::fs::write(&cp, text.replace("\n4\n", "\n2\n")).unwrap();
    site.verify(&cp)
        .failure()
        .code(1)
        .stderr(predicate::str::contains(
            "does not match its signature: the checkpoint (or its signature) was altered",
        ));
    assert!(!ssh_keygen_verify(&site, &cp).status.success());

    std::fs::write(&cp, &text).unwrap();
    site.verify(&cp).success();
    std::fs::write(
        checkpoint_sig(&cp),
        "-----BEGIN SSH SIGNATURE-----\nAAAA\n-----END SSH SIGNATURE-----\n",
    )
    .unwrap();
    site.verify(&cp)
        .failure()
        .code(1)
        .stderr(predicate::str::contains("is not an SSH signature"));
}

#[test]
fn a_wall_clock_that_went_back_beyond_the_skew_is_reported() {
    let mut site = Site::new();
    site.grow(2);
    site.steward(&["audit", "verify"]).assert().success();
    // Entry 3 written an hour before entry 2 (and the chain made whole again).
    site.sql("UPDATE audit SET written_at = (SELECT written_at FROM audit WHERE seq = 2) - 3600 WHERE seq = 3");
    site.rechain();
    site.steward(&["audit", "verify"])
        .assert()
        .failure()
        .code(1)
        .stderr(predicate::str::contains("entry 3 was written at").and(
            predicate::str::contains("1h before entry 2").and(predicate::str::contains(
                "the wall clock went back more than the allowed 300 s",
            )),
        ));
    site.steward(&["audit", "verify", "--max-skew-secs", "7200"])
        .assert()
        .success();
}

#[test]
fn an_independent_script_recomputes_the_chain_from_the_export() {
    let mut site = Site::new();
    site.grow(2);
    // Entries made over SSH, by key and by certificate, written as the
    // served edge writes them.
    {
        use steward::model::{Actor, Via};
        let mut store = steward::store::Store::open(&site.db()).unwrap();
        let now = "2026-03-02T12:00:00Z".parse().unwrap();
        let by_key = Actor {
            person: "omar".into(),
            via: Via::Key {
                fingerprint: "SHA256:k3y".into(),
            },
        };
        let by_cert = Actor {
            person: "priya".into(),
            via: Via::Certificate {
                fingerprint: "SHA256:c3rt".into(),
                serial: 42,
                ca: "SHA256:ca".into(),
            },
        };
        let detail = serde_json::json!({ "note": "line one\nline two: ünïcode" });
        store.audit(now, &by_key, "decide", &detail).unwrap();
        store.audit(now, &by_cert, "undo", &detail).unwrap();
    }
    site.steward(&["audit"]).assert().success().stdout(
        predicate::str::contains("omar (key SHA256:k3y)").and(predicate::str::contains(
            "priya (certificate 42 of CA SHA256:ca)",
        )),
    );
    let export = site
        .steward(&["audit", "export", "--jsonl"])
        .output()
        .unwrap();
    assert!(export.status.success());
    let text = String::from_utf8(export.stdout.clone()).unwrap();
    assert!(text.contains("\"via\":\"certificate\",\"fingerprint\":\"SHA256:c3rt\",\"serial\":42,\"ca\":\"SHA256:ca\""), "{text}");
    assert!(
        text.contains("\"via\":\"key\",\"fingerprint\":\"SHA256:k3y\""),
        "{text}"
    );

    let run = |input: &[u8]| {
        use std::io::Write;
        let mut child = std::process::Command::new("python3")
            .arg(script())
            .arg("verify")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(input).unwrap();
        child.wait_with_output().unwrap()
    };
    let out = run(&export.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let recomputed = String::from_utf8(out.stdout).unwrap();
    let fields: Vec<&str> = recomputed.split_whitespace().collect();
    assert_eq!(fields[0], "6");

    // Its head is the one a checkpoint signs.
    let cp = site.checkpoint("cp");
    let signed = std::fs::read_to_string(cp).unwrap();
    assert_eq!(signed.lines().nth(2), Some(fields[2]));

    // And it notices an entry changed in the export.
    let tampered = text.replacen("\"actor\":\"omar\"", "\"actor\":\"mallory\"", 1);
    assert!(!run(tampered.as_bytes()).status.success());
}

/// A one-shot HTTP server on 127.0.0.1 that answers 200 and hands back
/// the body it received.
fn webhook_server() -> (String, std::thread::JoinHandle<String>) {
    use std::io::{BufRead, BufReader, Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hooks/T0-secret", listener.local_addr().unwrap());
    let handle = std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut length = 0;
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                length = v.trim().parse().unwrap();
            }
            if line == "\r\n" {
                break;
            }
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body).unwrap();
        let mut stream = stream;
        stream
            .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
            .unwrap();
        String::from_utf8(body).unwrap()
    });
    (url, handle)
}

#[test]
fn checkpoints_in_the_configured_directory_are_posted_and_verified() {
    let mut site = Site::new();
    let (url, server) = webhook_server();
    std::fs::write(
        site.path("steward.toml"),
        "[audit]\ncheckpoint_dir = \"checkpoints\"\ncheckpoint_webhook_env = \"TEST_CHECKPOINT_HOOK\"\nmax_skew_secs = 7200\n",
    )
    .unwrap();
    site.grow(2);
    site.steward(&["audit", "checkpoint"])
        .env("TEST_CHECKPOINT_HOOK", &url)
        .assert()
        .success()
        .stdout(
            predicate::str::contains("checkpoint-000000000004")
                .and(predicate::str::contains("posted to the checkpoint webhook")),
        );
    let posted: serde_json::Value = serde_json::from_str(&server.join().unwrap()).unwrap();
    let file = site.path("checkpoints/checkpoint-000000000004");
    assert_eq!(
        posted["checkpoint"],
        std::fs::read_to_string(&file).unwrap()
    );
    assert_eq!(posted["size"], 4);

    // Without the webhook's variable, the checkpoint is still written, and
    // the error names the variable, never a URL.
    site.grow(1);
    site.steward(&["audit", "checkpoint"])
        .env_remove("TEST_CHECKPOINT_HOOK")
        .assert()
        .failure()
        .stderr(predicate::str::contains("TEST_CHECKPOINT_HOOK is not set"));
    assert!(
        site.path("checkpoints/checkpoint-000000000006.sig")
            .is_file()
    );

    // verify checks every checkpoint in the directory, and the skew it allows.
    site.sql("UPDATE audit SET written_at = (SELECT written_at FROM audit WHERE seq = 2) - 3600 WHERE seq = 3");
    site.rechain();
    site.steward(&["audit", "verify"])
        .assert()
        .failure()
        .code(1)
        .stderr(
            predicate::str::contains("no longer end in the head that checkpoint")
                .and(predicate::str::contains("checkpoint-000000000004"))
                .and(predicate::str::contains("wall clock").not()),
        );
}
