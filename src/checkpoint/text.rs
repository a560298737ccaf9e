//! A checkpoint's text, in the C2SP tlog-checkpoint form: the origin naming
//! the log, the number of entries in decimal, the head hash in base64, each
//! on its own line, the last one ended by a newline too.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// The origin's prefix; the log's identity follows it.
pub const ORIGIN_PREFIX: &str = "steward-audit/";

/// Why a text is not a checkpoint: which line, and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Malformed {
    #[error("not UTF-8")]
    NotUtf8,
    #[error("it does not end with a newline")]
    NoFinalNewline,
    #[error("it has {0} line(s); a checkpoint has 3 (origin, size, head)")]
    Lines(usize),
    #[error("line 1: {0:?} is no origin (one word without spaces or '+')")]
    Origin(String),
    #[error("line 2: {0:?} is not a number of entries")]
    Size(String),
    #[error("line 3: {0:?} is not a base64 SHA-256 hash")]
    Head(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// `steward-audit/<log id>`.
    pub origin: String,
    /// How many entries the log had.
    pub size: u64,
    /// The hash of the chain's entry `size` (the genesis hash for 0).
    pub head: [u8; 32],
}

impl Checkpoint {
    /// The checkpoint of log `log_id` at `size` entries with head `head`.
    pub fn of_log(log_id: &str, size: u64, head: [u8; 32]) -> Checkpoint {
        Checkpoint {
            origin: format!("{ORIGIN_PREFIX}{log_id}"),
            size,
            head,
        }
    }

    /// The log's identity, from the origin (`None` for another kind of log).
    pub fn log_id(&self) -> Option<&str> {
        self.origin.strip_prefix(ORIGIN_PREFIX)
    }

    pub fn head_base64(&self) -> String {
        STANDARD.encode(self.head)
    }

    /// The exact text that is signed.
    pub fn to_text(&self) -> String {
        format!("{}\n{}\n{}\n", self.origin, self.size, self.head_base64())
    }

    /// Reads a checkpoint's text; the error says which line is wrong and why.
    pub fn parse(text: &str) -> Result<Checkpoint, Malformed> {
        let Some(body) = text.strip_suffix('\n') else {
            return Err(Malformed::NoFinalNewline);
        };
        let lines: Vec<&str> = body.split('\n').collect();
        if lines.len() != 3 {
            return Err(Malformed::Lines(lines.len()));
        }
        let origin = lines[0];
        if origin.is_empty() || origin.contains(char::is_whitespace) || origin.contains('+') {
            return Err(Malformed::Origin(origin.to_string()));
        }
        let size_text = lines[1];
        let size = size_text
            .parse::<u64>()
            .ok()
            .filter(|n| n.to_string() == size_text)
            .ok_or_else(|| Malformed::Size(size_text.to_string()))?;
        let head: [u8; 32] = STANDARD
            .decode(lines[2])
            .ok()
            .and_then(|h| h.try_into().ok())
            .ok_or_else(|| Malformed::Head(lines[2].to_string()))?;
        Ok(Checkpoint {
            origin: origin.to_string(),
            size,
            head,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_checkpoint_round_trips_through_its_three_lines() {
        let c = Checkpoint::of_log("00ff00ff00ff00ff", 42, [7u8; 32]);
        let text = c.to_text();
        assert_eq!(
            text,
            "steward-audit/00ff00ff00ff00ff\n42\nBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=\n"
        );
        assert_eq!(Checkpoint::parse(&text).unwrap(), c);
        assert_eq!(c.log_id(), Some("00ff00ff00ff00ff"));
    }

    #[test]
    fn a_malformed_checkpoint_names_its_line() {
        let good = Checkpoint::of_log("ab", 3, [0u8; 32]).to_text();
        let cases = [
            (good.trim_end().to_string(), "newline"),
            (good.replace("\n3\n", "\n03\n"), "line 2"),
            (good.replace("\n3\n", "\n-3\n"), "line 2"),
            (good.replace("AAAA", "!!!!"), "line 3"),
            (good.replace("steward-audit/ab", "a b"), "line 1"),
            (format!("{good}extra\n"), "4 line(s)"),
        ];
        for (text, expected) in cases {
            let err = Checkpoint::parse(&text).unwrap_err().to_string();
            assert!(err.contains(expected), "{text:?}: {err}");
        }
        assert_eq!(
            Checkpoint::parse(&good.replace("\n3\n", "\n03\n")),
            Err(Malformed::Size("03".into()))
        );
        assert_eq!(
            Malformed::Lines(4).to_string(),
            "it has 4 line(s); a checkpoint has 3 (origin, size, head)"
        );
    }
}
