//! The console's ratatui backend over SSH: crossterm's escape sequences
//! written into the channel, with the size the client's `pty-req` and
//! window changes said (crossterm would ask the server's own terminal,
//! which a server has none of) and the cursor position remembered, never
//! queried.

use super::output::StreamWriter;
use super::pty::PtySize;
use ratatui::backend::{Backend, ClearType, CrosstermBackend, WindowSize};
use ratatui::buffer::Cell;
use ratatui::layout::{Position, Size};
use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

/// The client's window size, as the channel last said it: set by the task
/// reading the channel, read by the backend on the console's thread.
#[derive(Clone)]
pub struct Window(Arc<AtomicU32>);

impl Window {
    pub fn new(size: PtySize) -> Window {
        let w = Window(Arc::default());
        w.set(size);
        w
    }

    pub fn set(&self, size: PtySize) {
        let packed = (u32::from(size.cols) << 16) | u32::from(size.rows);
        self.0.store(packed, Ordering::Relaxed);
    }

    pub fn size(&self) -> Size {
        let packed = self.0.load(Ordering::Relaxed);
        Size::new((packed >> 16) as u16, (packed & 0xffff) as u16)
    }
}

pub struct ChannelBackend {
    inner: CrosstermBackend<StreamWriter>,
    window: Window,
    cursor: Position,
}

impl ChannelBackend {
    pub fn new(writer: StreamWriter, window: Window) -> ChannelBackend {
        ChannelBackend {
            inner: CrosstermBackend::new(writer),
            window,
            cursor: Position::ORIGIN,
        }
    }
}

impl Backend for ChannelBackend {
    type Error = io::Error;

    fn draw<'a, I>(&mut self, content: I) -> io::Result<()>
    where
        I: Iterator<Item = (u16, u16, &'a Cell)>,
    {
        self.inner.draw(content)
    }

    fn append_lines(&mut self, n: u16) -> io::Result<()> {
        self.inner.append_lines(n)
    }

    fn hide_cursor(&mut self) -> io::Result<()> {
        self.inner.hide_cursor()
    }

    fn show_cursor(&mut self) -> io::Result<()> {
        self.inner.show_cursor()
    }

    fn get_cursor_position(&mut self) -> io::Result<Position> {
        Ok(self.cursor)
    }

    fn set_cursor_position<P: Into<Position>>(&mut self, position: P) -> io::Result<()> {
        let p = position.into();
        self.cursor = p;
        self.inner.set_cursor_position(p)
    }

    fn clear(&mut self) -> io::Result<()> {
        self.inner.clear()
    }

    fn clear_region(&mut self, clear_type: ClearType) -> io::Result<()> {
        self.inner.clear_region(clear_type)
    }

    fn size(&self) -> io::Result<Size> {
        Ok(self.window.size())
    }

    fn window_size(&mut self) -> io::Result<WindowSize> {
        Ok(WindowSize {
            columns_rows: self.window.size(),
            pixels: Size::default(),
        })
    }

    fn flush(&mut self) -> io::Result<()> {
        Backend::flush(&mut self.inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_keeps_the_last_size_said() {
        let w = Window::new(PtySize::new(120, 40));
        assert_eq!(w.size(), Size::new(120, 40));
        w.clone().set(PtySize::new(1000, 1));
        assert_eq!(w.size(), Size::new(1000, 1));
    }
}
