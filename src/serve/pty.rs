//! The terminal size a client asked for with `pty-req`.

/// What `pty-req` said.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PtySize {
    pub cols: u16,
    pub rows: u16,
}

impl PtySize {
    pub fn new(cols: u32, rows: u32) -> PtySize {
        let clamp = |n: u32, default: u16| {
            if n == 0 {
                default
            } else {
                u16::try_from(n).unwrap_or(u16::MAX).min(1000)
            }
        };
        PtySize {
            cols: clamp(cols, 80),
            rows: clamp(rows, 24),
        }
    }
}
