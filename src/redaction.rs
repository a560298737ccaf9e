//! Cutting secrets out of text that comes back from outside: a server may
//! echo a token in an error body, whole or cut, encoded or not.
//!
//! A [`Redactor`] knows each secret in the forms a server is likely to echo
//! it: as it is, percent-encoded (either case of hex digits), JSON-escaped
//! (`\/` for `/`), base64'd (standard or URL-safe, at any alignment inside a
//! longer base64 text), and in upper or lower case. Any piece of 8 or more
//! characters of one of these forms is cut out too, so half a token is no
//! less secret than a whole one.

use std::collections::HashSet;

/// What replaces a secret.
pub const REDACTED: &str = "[redacted]";

/// The shortest piece of a secret that is cut out wherever it appears.
pub const PIECE: usize = 8;

/// Finds the secrets it was given, in their echoed forms, in any text.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    /// Every window of `PIECE` bytes of every form, ASCII case folded.
    pieces: HashSet<u64>,
    /// Forms shorter than `PIECE`, ASCII case folded: cut only whole.
    short: Vec<Vec<u8>>,
}

fn fold(b: u8) -> u8 {
    b.to_ascii_lowercase()
}

fn window(bytes: &[u8]) -> u64 {
    let mut w = [0u8; PIECE];
    for (d, s) in w.iter_mut().zip(bytes) {
        *d = fold(*s);
    }
    u64::from_le_bytes(w)
}

/// `s` percent-encoded: every byte but RFC 3986's unreserved ones.
fn percent_encoded(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `s` as it stands inside a JSON string, and with `/` escaped as `\/`.
fn json_escaped(s: &str) -> Vec<String> {
    let quoted = serde_json::to_string(s).unwrap_or_default();
    let inner = quoted
        .strip_prefix('"')
        .and_then(|q| q.strip_suffix('"'))
        .unwrap_or(s)
        .to_string();
    let slashed = inner.replace('/', "\\/");
    vec![inner, slashed]
}

const STANDARD: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const URL_SAFE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Base64 of `bytes`, without padding.
fn base64(bytes: &[u8], alphabet: &[u8; 64]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        let chars = chunk.len() + 1;
        for i in 0..chars {
            out.push(alphabet[(n >> (18 - 6 * i) & 63) as usize]);
        }
    }
    out
}

/// The base64 characters that depend on `s` alone, when `s` starts at each
/// of the three byte offsets inside a longer base64'd text.
fn base64_forms(s: &str) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for alphabet in [STANDARD, URL_SAFE] {
        for lead in 0..3usize {
            let mut bytes = vec![0u8; lead];
            bytes.extend_from_slice(s.as_bytes());
            let encoded = base64(&bytes, alphabet);
            let from = (8 * lead).div_ceil(6);
            let to = (8 * (lead + s.len())) / 6;
            if to > from {
                out.push(encoded[from..to].to_vec());
            }
        }
    }
    out
}

impl Redactor {
    /// A redactor of `secrets` (empty ones are ignored).
    pub fn new<'s>(secrets: impl IntoIterator<Item = &'s str>) -> Redactor {
        let mut r = Redactor::default();
        for s in secrets {
            if !s.is_empty() {
                r.add(s);
            }
        }
        r
    }

    fn add(&mut self, secret: &str) {
        let mut forms: Vec<Vec<u8>> = vec![secret.as_bytes().to_vec()];
        forms.push(percent_encoded(secret).into_bytes());
        forms.push(percent_encoded(secret).replace("%20", "+").into_bytes());
        forms.extend(json_escaped(secret).into_iter().map(String::into_bytes));
        if secret.len() >= PIECE {
            forms.extend(base64_forms(secret));
        }
        for form in forms {
            if form.len() < PIECE {
                let folded: Vec<u8> = form.iter().map(|b| fold(*b)).collect();
                if !folded.is_empty() && !self.short.contains(&folded) {
                    self.short.push(folded);
                }
            } else {
                for w in form.windows(PIECE) {
                    self.pieces.insert(window(w));
                }
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.pieces.is_empty() && self.short.is_empty()
    }

    /// `text` with every echoed form of every secret, and every piece of 8
    /// or more characters of one, replaced by `[redacted]`.
    pub fn redact(&self, text: &str) -> String {
        if self.is_empty() {
            return text.to_string();
        }
        let bytes = text.as_bytes();
        let mut cut = vec![false; bytes.len()];
        if bytes.len() >= PIECE {
            for i in 0..=bytes.len() - PIECE {
                if self.pieces.contains(&window(&bytes[i..i + PIECE])) {
                    cut[i..i + PIECE].fill(true);
                }
            }
        }
        for short in &self.short {
            let n = short.len();
            for i in 0..bytes.len().saturating_sub(n - 1) {
                if bytes[i..i + n]
                    .iter()
                    .map(|b| fold(*b))
                    .eq(short.iter().copied())
                {
                    cut[i..i + n].fill(true);
                }
            }
        }
        let mut out = String::with_capacity(text.len());
        let mut i = 0;
        while i < bytes.len() {
            if cut[i] {
                out.push_str(REDACTED);
                while i < bytes.len() && (cut[i] || !text.is_char_boundary(i)) {
                    i += 1;
                }
            } else {
                let next = (i + 1..=bytes.len())
                    .find(|&j| text.is_char_boundary(j))
                    .unwrap_or(bytes.len());
                out.push_str(&text[i..next]);
                i = next;
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "tok/9f8e+7d6c_Secret=ab";

    fn leaks(shown: &str) -> bool {
        // Any 8 characters of the token, in any case.
        let t = TOKEN.to_ascii_lowercase();
        let s = shown.to_ascii_lowercase();
        (0..=t.len() - PIECE).any(|i| s.contains(&t[i..i + PIECE]))
    }

    fn std_base64(s: &str) -> String {
        String::from_utf8(base64(s.as_bytes(), STANDARD)).unwrap()
    }

    #[test]
    fn base64_matches_the_standard_encoding() {
        assert_eq!(std_base64("Man"), "TWFu");
        assert_eq!(std_base64("Ma"), "TWE");
        assert_eq!(std_base64("M"), "TQ");
        assert_eq!(std_base64("pleasure."), "cGxlYXN1cmUu");
    }

    #[test]
    fn every_echoed_form_and_every_long_piece_is_cut() {
        let r = Redactor::new([TOKEN]);
        let forms = [
            TOKEN.to_string(),
            TOKEN.to_uppercase(),
            TOKEN.to_lowercase(),
            percent_encoded(TOKEN),
            percent_encoded(TOKEN).to_lowercase(),
            TOKEN.replace('/', "\\/"),
            std_base64(TOKEN),
            std_base64(&format!("user:{TOKEN}")),
            std_base64(&format!("xy:{TOKEN}!")),
            String::from_utf8(base64(format!("a{TOKEN}").as_bytes(), URL_SAFE)).unwrap(),
            TOKEN[..12].to_string(),
            TOKEN[9..].to_string(),
        ];
        for form in forms {
            let text = format!("{{\"error\": \"bad token {form} given\"}}");
            let shown = r.redact(&text);
            assert!(shown.contains(REDACTED), "{form}: {shown}");
            assert!(!shown.contains(&form), "{form}: {shown}");
            assert!(shown.starts_with("{\"error\": \"bad token "), "{shown}");
            assert!(shown.ends_with(" given\"}"), "{shown}");
        }
        let cut = r.redact(&format!("a {} b", &TOKEN[3..14]));
        assert!(!leaks(&cut), "{cut}");
    }

    #[test]
    fn other_text_is_left_alone_and_short_secrets_cut_whole() {
        let r = Redactor::new([TOKEN]);
        let text = "nothing secret here: tok/ is a prefix, Secret= too; naïve ünïcode";
        assert_eq!(r.redact(text), text);
        let short = Redactor::new(["abc12"]);
        assert_eq!(short.redact("x ABC12 y abc1"), "x [redacted] y abc1");
        assert_eq!(Redactor::new([""]).redact("abc"), "abc");
        assert_eq!(r.redact("é€"), "é€");
    }
}
