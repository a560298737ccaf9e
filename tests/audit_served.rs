//! The audit log of `steward serve`: entries made over SSH record the key
//! that proved who acted (and a certificate's serial and CA), and the
//! server's checkpoints, signed with the key in its data directory, verify
//! with OpenSSH and with `audit verify`.

mod serve_support;

use serve_support::*;

fn export(s: &Setup) -> Vec<serde_json::Value> {
    let out = s.local(&["audit", "export", "--jsonl"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn entries_over_ssh_record_the_key_or_certificate_and_checkpoints_verify() {
    let s = Setup::new();
    let ca = s.key("ca");
    s.write_config(&[&ca]);
    let mut config = std::fs::read_to_string(s.config()).unwrap();
    config.push_str("\n[audit]\ncheckpoint_dir = \"checkpoints\"\n");
    std::fs::write(s.config(), config).unwrap();
    let priya = s.key("priya");
    s.register("priya", &priya);
    let laptop = s.key("priya-laptop");
    s.certify(&ca, &laptop, "priya", "-5m:+1h", 42);
    let server = s.start();

    let out = server.ssh(&priya, &["delegate", "billing", "--to", "omar"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = server.ssh_cert(&laptop, &["undelegate", "1"]);
    assert!(out.status.success(), "{}", text(&out.stderr));

    let entries = export(&s);
    assert_eq!(entries.len(), 2, "{entries:?}");
    assert_eq!(entries[0]["actor"], "priya");
    assert_eq!(entries[0]["via"], "key");
    assert_eq!(entries[0]["fingerprint"], fingerprint(&priya));
    assert_eq!(entries[1]["via"], "certificate");
    assert_eq!(entries[1]["fingerprint"], fingerprint(&laptop));
    assert_eq!(entries[1]["serial"], 42);
    assert_eq!(entries[1]["ca"], fingerprint(&ca));
    assert!(entries[1]["written_at"].is_string());

    // A checkpoint over SSH goes into the server's directory, never to a
    // path the client names.
    let out = server.ssh(&priya, &["audit", "checkpoint", "--out", "/tmp/x"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("not yours to name over SSH"));
    let out = server.ssh(&priya, &["audit", "checkpoint"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let file = s.path().join("checkpoints/checkpoint-000000000002");
    assert!(file.is_file());
    assert!(s.data().join("audit-signing-key").is_file());

    // Anyone with the server's allowed_signers line checks it with OpenSSH.
    let signer = server.ssh(&priya, &["audit", "signer"]);
    assert!(signer.status.success());
    let allowed = s.path().join("allowed_signers");
    std::fs::write(&allowed, &signer.stdout).unwrap();
    let ssh = std::process::Command::new("ssh-keygen")
        .args(["-Y", "verify", "-f"])
        .arg(&allowed)
        .args(["-I", "steward", "-n", "steward-audit", "-s"])
        .arg(format!("{}.sig", file.display()))
        .stdin(std::fs::File::open(&file).unwrap())
        .output()
        .unwrap();
    assert!(ssh.status.success(), "{}", text(&ssh.stderr));

    // The server's verify checks the checkpoints in its directory.
    let out = server.ssh(&priya, &["audit", "verify"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("holds: the log extends its 2 entries"));
}
