//! Text made safe for a terminal, JSON and Slack: whatever the input, no
//! raw control or invisible formatting character comes out, and JSON
//! reads back as the same text.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::io::Write;
use steward::safe_text;

fn clean(text: &str) -> bool {
    !text.chars().any(|c| c != '\t' && c != '\n' && safe_text::is_unsafe(c))
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    assert!(clean(&safe_text::terminal(&text)));
    assert!(clean(&safe_text::slack(&text)));
    let line = safe_text::terminal_line(&text);
    assert!(!line.contains('\n') && !line.contains('\t') && clean(&line));
    let json = safe_text::json(&serde_json::json!({ "t": text }), false).unwrap_or_default();
    assert!(clean(&json));
    let back: serde_json::Value = serde_json::from_str(&json).expect("valid JSON");
    assert_eq!(back["t"].as_str(), Some(&*text));
    // Raw bytes, in two writes cut anywhere.
    let mut out = Vec::new();
    {
        let mut w = safe_text::TerminalWriter::new(&mut out);
        let cut = data.first().map_or(0, |&b| b as usize % (data.len() + 1));
        let _ = w.write_all(&data[..cut]);
        let _ = w.write_all(&data[cut..]);
    }
    let shown = String::from_utf8(out).expect("the writer writes UTF-8");
    assert!(clean(&shown));
});
