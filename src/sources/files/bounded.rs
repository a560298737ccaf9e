//! Opening org files as data that may be hostile: only regular files are
//! read (a symlink is followed only when it leads to one; a device, a FIFO,
//! a socket or a directory is refused before a byte is read), and no line,
//! nor CSV record, may be longer than [`MAX_LINE`], checked while reading so
//! that a file of one endless line never fills memory.

use super::ParseError;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

/// The longest line (or CSV record, quoted line ends included) read: 1 MiB.
pub const MAX_LINE: usize = 1 << 20;

/// Opens `path` for reading if it is a regular file; `None` when nothing is
/// there (nor a symlink leading anywhere).
pub fn open(path: &Path) -> Result<Option<File>, ParseError> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // A FIFO would block the open until a writer came; with O_NONBLOCK
        // it opens at once and is refused below by its type.
        options.custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY);
    }
    let file = match options.open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(ParseError::file(path, format!("cannot read: {e}"))),
    };
    let meta = file
        .metadata()
        .map_err(|e| ParseError::file(path, format!("cannot read: {e}")))?;
    if !meta.is_file() {
        return Err(ParseError::file(
            path,
            format!(
                "not a regular file ({}): steward reads only regular files{}",
                file_type(&meta),
                if is_symlink(path) {
                    " (a symlink is followed only to a regular file)"
                } else {
                    ""
                }
            ),
        ));
    }
    Ok(Some(file))
}

fn is_symlink(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink())
}

fn file_type(meta: &std::fs::Metadata) -> &'static str {
    let t = meta.file_type();
    if t.is_dir() {
        return "a directory";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a FIFO";
        }
        if t.is_socket() {
            return "a socket";
        }
        if t.is_char_device() || t.is_block_device() {
            return "a device";
        }
    }
    "not a plain file"
}

/// Reads the whole of a text file, `None` when it does not exist.
pub fn read_text(path: &Path) -> Result<Option<String>, ParseError> {
    let Some(file) = open(path)? else {
        return Ok(None);
    };
    let mut bytes = Vec::new();
    Limited::lines(path, std::io::BufReader::with_capacity(1 << 16, file))
        .read_to_end(&mut bytes)
        .map_err(|e| read_error(path, e))?;
    String::from_utf8(bytes)
        .map(Some)
        .map_err(|e| ParseError::file(path, format!("not valid UTF-8: {e}")))
}

/// The error a [`Limited`] reader stopped with, as a `ParseError`; any
/// other read error as "cannot read".
pub fn read_error(path: &Path, e: std::io::Error) -> ParseError {
    match e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<TooLong>())
    {
        Some(t) => t.to_parse_error(),
        None => ParseError::file(path, format!("cannot read: {e}")),
    }
}

/// A line or record over [`MAX_LINE`]: where it started.
#[derive(Debug, Clone)]
pub struct TooLong {
    file: PathBuf,
    line: u64,
    csv: bool,
}

impl TooLong {
    pub fn to_parse_error(&self) -> ParseError {
        let what = if self.csv {
            "a row (or a field in it) is longer than 1 MiB"
        } else {
            "a line is longer than 1 MiB"
        };
        ParseError::at_line(&self.file, self.line, format!("{what}: refused"))
    }
}

impl std::fmt::Display for TooLong {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.to_parse_error().fmt(f)
    }
}

impl std::error::Error for TooLong {}

/// A reader that fails once a line (or, for CSV, a record) runs past
/// [`MAX_LINE`], naming the line it began on.
pub struct Limited<R> {
    inner: R,
    file: PathBuf,
    /// The line being read (1-based), and the one the current record began on.
    line: u64,
    start: u64,
    run: usize,
    /// CSV only: where the scanner stands in RFC 4180 quoting, as the csv
    /// crate reads it.
    csv: Option<Quoting>,
}

/// Inside a quoted CSV field or not, and what came just before.
#[derive(Debug, Clone, Copy)]
struct Quoting {
    quoted: bool,
    /// A `"` inside quotes ended the last chunk: the next byte says whether
    /// it was escaped (`""`) or closed the field.
    quote_pending: bool,
    /// The byte before the next one (a `"` opens a field only after a
    /// delimiter or a line end).
    last: u8,
}

impl<R: Read> Limited<R> {
    /// Lines: each at most [`MAX_LINE`] bytes.
    pub fn lines(file: &Path, inner: R) -> Limited<R> {
        Limited {
            inner,
            file: file.to_path_buf(),
            line: 1,
            start: 1,
            run: 0,
            csv: None,
        }
    }

    /// CSV records: each, with the line ends inside its quoted fields, at
    /// most [`MAX_LINE`] bytes.
    pub fn csv(file: &Path, inner: R) -> Limited<R> {
        Limited {
            csv: Some(Quoting {
                quoted: false,
                quote_pending: false,
                last: b'\n',
            }),
            ..Limited::lines(file, inner)
        }
    }

    /// Counts `n` bytes into the current line or record; false when too long.
    fn grow(&mut self, n: usize) -> bool {
        self.run += n;
        self.run <= MAX_LINE
    }

    /// A line or record ends (at a `\n` when `newline`).
    fn end(&mut self, newline: bool) {
        if newline {
            self.line += 1;
        }
        self.run = 0;
        self.start = self.line;
    }

    /// Advances over `bytes` line by line; false when a line ran too long.
    fn scan_lines(&mut self, mut bytes: &[u8]) -> bool {
        while let Some(i) = memchr::memchr(b'\n', bytes) {
            if !self.grow(i) {
                return false;
            }
            self.end(true);
            bytes = &bytes[i + 1..];
        }
        self.grow(bytes.len())
    }

    /// Advances over `bytes` of CSV; false when a record ran too long.
    fn scan_csv(&mut self, mut q: Quoting, mut bytes: &[u8]) -> (Quoting, bool) {
        if q.quote_pending && !bytes.is_empty() {
            q.quote_pending = false;
            if bytes[0] == b'"' {
                bytes = &bytes[1..];
                if !self.grow(1) {
                    return (q, false);
                }
            } else {
                q.quoted = false;
            }
        }
        while !bytes.is_empty() {
            let found = if q.quoted {
                memchr::memchr2(b'"', b'\n', bytes)
            } else {
                memchr::memchr3(b'"', b'\n', b'\r', bytes)
            };
            let Some(i) = found else {
                q.last = bytes[bytes.len() - 1];
                return (q, self.grow(bytes.len()));
            };
            let before = if i > 0 { bytes[i - 1] } else { q.last };
            let b = bytes[i];
            let mut used = i + 1;
            match (q.quoted, b) {
                (true, b'\n') => {
                    self.line += 1;
                    if !self.grow(i + 1) {
                        return (q, false);
                    }
                }
                (true, _) => match bytes.get(i + 1) {
                    Some(b'"') => {
                        used += 1;
                        if !self.grow(i + 2) {
                            return (q, false);
                        }
                    }
                    Some(_) => {
                        q.quoted = false;
                        if !self.grow(i + 1) {
                            return (q, false);
                        }
                    }
                    None => {
                        q.quote_pending = true;
                        if !self.grow(i + 1) {
                            return (q, false);
                        }
                    }
                },
                (false, b'"') => {
                    q.quoted = matches!(before, b',' | b'\n' | b'\r');
                    if !self.grow(i + 1) {
                        return (q, false);
                    }
                }
                (false, _) => {
                    if !self.grow(i) {
                        return (q, false);
                    }
                    self.end(b == b'\n');
                }
            }
            q.last = bytes[used - 1];
            bytes = &bytes[used..];
        }
        (q, true)
    }

    /// Advances over `bytes`; false when a line or record ran too long.
    fn scan(&mut self, bytes: &[u8]) -> bool {
        match self.csv {
            None => self.scan_lines(bytes),
            Some(q) => {
                let (q, ok) = self.scan_csv(q, bytes);
                self.csv = Some(q);
                ok
            }
        }
    }
}

impl<R: Read> Read for Limited<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if !self.scan(&buf[..n]) {
            return Err(std::io::Error::other(TooLong {
                file: self.file.clone(),
                line: self.start,
                csv: self.csv.is_some(),
            }));
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The csv crate's record ends, byte by byte: where each record (as
    /// the scanner must see it) begins and how long it is.
    fn records(text: &[u8]) -> Vec<usize> {
        #[derive(Clone, Copy, PartialEq)]
        enum S {
            Start,
            Plain,
            Quoted,
            QuoteInQuoted,
        }
        let mut s = S::Start;
        let mut run = 0;
        let mut out = Vec::new();
        for &b in text {
            let end = b == b'\n' || b == b'\r';
            s = match s {
                S::Start | S::Plain | S::QuoteInQuoted if end => {
                    out.push(run);
                    run = 0;
                    S::Start
                }
                S::Start if b == b'"' => S::Quoted,
                S::Start | S::Plain | S::QuoteInQuoted if b == b',' => S::Start,
                S::Start | S::Plain => S::Plain,
                S::Quoted if b == b'"' => S::QuoteInQuoted,
                S::Quoted => S::Quoted,
                S::QuoteInQuoted if b == b'"' => S::Quoted,
                S::QuoteInQuoted => S::Plain,
            };
            if !(end && s == S::Start) {
                run += 1;
            }
        }
        out.push(run);
        out
    }

    proptest::proptest! {
        #[test]
        fn the_fast_csv_scanner_sees_the_records_the_csv_crate_reads(
            text in proptest::collection::vec(proptest::sample::select(b"ab,\"\n\r".to_vec()), 0..200),
            chunk in 1usize..17,
        ) {
            let longest = records(&text).into_iter().max().unwrap_or(0);
            let mut l = Limited::csv(Path::new("p.csv"), &[][..]);
            let mut max = 0;
            let mut ok = true;
            for piece in text.chunks(chunk) {
                let before = l.run;
                ok &= l.scan(piece);
                max = max.max(l.run).max(before);
            }
            proptest::prop_assert!(ok);
            proptest::prop_assert!(max <= longest, "scanner {max} > records {longest}");
            // Byte by byte, the scanner's longest run is the longest record.
            let mut l = Limited::csv(Path::new("p.csv"), &[][..]);
            let mut max = 0;
            for b in &text {
                l.scan(std::slice::from_ref(b));
                max = max.max(l.run);
            }
            proptest::prop_assert_eq!(max, longest);
        }
    }

    fn read_all(mut r: impl Read) -> std::io::Result<Vec<u8>> {
        let mut out = Vec::new();
        r.read_to_end(&mut out).map(|_| out)
    }

    #[test]
    fn a_line_over_the_limit_is_refused_with_its_line() {
        let mut text = b"a\nb\n".to_vec();
        text.extend(std::iter::repeat_n(b'x', MAX_LINE + 1));
        let e = read_all(Limited::lines(Path::new("t.toml"), &text[..])).unwrap_err();
        let e = read_error(Path::new("t.toml"), e).to_string();
        assert_eq!(e, "t.toml:3: a line is longer than 1 MiB: refused");
        let mut ok = vec![b'x'; MAX_LINE];
        ok.push(b'\n');
        ok.extend(vec![b'y'; MAX_LINE]);
        assert!(read_all(Limited::lines(Path::new("t"), &ok[..])).is_ok());
    }

    #[test]
    fn a_csv_record_counts_the_line_ends_inside_its_quotes() {
        // Short lines, but one quoted field running on over all of them.
        let mut text = b"id,name\nana,\"".to_vec();
        for _ in 0..(MAX_LINE / 10 + 1) {
            text.extend(b"012345678\n");
        }
        text.extend(b"\"\n");
        let e = read_all(Limited::csv(Path::new("people.csv"), &text[..])).unwrap_err();
        let e = read_error(Path::new("people.csv"), e).to_string();
        assert!(e.starts_with("people.csv:2: a row"), "{e}");
        // The same lines outside quotes are many small records.
        let plain = text
            .iter()
            .filter(|&&b| b != b'"')
            .copied()
            .collect::<Vec<_>>();
        assert!(read_all(Limited::csv(Path::new("p"), &plain[..])).is_ok());
        // Escaped quotes stay inside the field; a quote mid-field is data.
        let mut escaped = b"a,\"x\"\"".to_vec();
        escaped.extend(vec![b'\n'; MAX_LINE + 1]);
        assert!(read_all(Limited::csv(Path::new("p"), &escaped[..])).is_err());
        let mut mid = b"a,x\"y\n".to_vec();
        mid.extend(vec![b'\n'; MAX_LINE + 1]);
        assert!(read_all(Limited::csv(Path::new("p"), &mid[..])).is_ok());
    }

    #[cfg(unix)]
    #[test]
    fn only_regular_files_are_opened() {
        let d = tempfile::tempdir().unwrap();
        let real = d.path().join("real.csv");
        std::fs::write(&real, "id\n").unwrap();
        let link = d.path().join("link.csv");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        assert!(open(&link).unwrap().is_some());
        let zero = d.path().join("zero.csv");
        std::os::unix::fs::symlink("/dev/zero", &zero).unwrap();
        let e = open(&zero).unwrap_err().to_string();
        assert!(e.contains("not a regular file (a device)"), "{e}");
        assert!(e.contains("symlink"), "{e}");
        let fifo = d.path().join("fifo.csv");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        if made.is_ok_and(|s| s.success()) {
            let e = open(&fifo).unwrap_err().to_string();
            assert!(e.contains("a FIFO"), "{e}");
        }
        let e = open(d.path()).unwrap_err().to_string();
        assert!(e.contains("a directory"), "{e}");
        assert!(open(&d.path().join("none.csv")).unwrap().is_none());
    }
}
