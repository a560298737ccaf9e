//! Handing what a reader thread parses to a consumer as it goes: items in
//! order, then the end, or the reader's error. Never silently short.

use super::ParseError;

/// What a reader thread sends.
enum Msg<T> {
    Item(T),
    Failed(ParseError),
    Done,
}

/// What a reader thread hands over as it reads. It ends with an error,
/// never silently, when the reader failed or vanished, so a consumer cannot
/// mistake half of it for all of it.
pub struct Feed<T> {
    rx: std::sync::mpsc::Receiver<Msg<T>>,
    /// Named when the reader vanished.
    path: std::path::PathBuf,
    finished: bool,
}

impl<T> Feed<T> {
    /// The next item: `wait` for it, or only if it is ready. `None` when
    /// there are no more (or, without `wait`, none yet).
    pub fn next_item(&mut self, wait: bool) -> Option<Result<T, ParseError>> {
        if self.finished {
            return None;
        }
        let msg = if wait {
            self.rx.recv().ok()
        } else {
            match self.rx.try_recv() {
                Ok(m) => Some(m),
                Err(std::sync::mpsc::TryRecvError::Empty) => return None,
                Err(std::sync::mpsc::TryRecvError::Disconnected) => None,
            }
        };
        match msg {
            Some(Msg::Item(item)) => Some(Ok(item)),
            Some(Msg::Done) => {
                self.finished = true;
                None
            }
            Some(Msg::Failed(e)) => {
                self.finished = true;
                Some(Err(e))
            }
            None => {
                self.finished = true;
                Some(Err(ParseError::file(
                    &self.path,
                    "the reader thread failed",
                )))
            }
        }
    }

    /// After a failure elsewhere: this reader's error, if it has one that
    /// was not already returned.
    pub fn error(&mut self) -> Option<ParseError> {
        loop {
            if let Err(e) = self.next_item(true)? {
                return Some(e);
            }
        }
    }
}

impl<T> Iterator for Feed<T> {
    type Item = Result<T, ParseError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_item(true)
    }
}

/// Runs `read` on a thread of `scope`, which hands items to its argument
/// (false back: the consumer has gone, stop); its end or error follows.
pub(super) fn spawn_feed<'scope, T: Send + 'scope>(
    scope: &'scope std::thread::Scope<'scope, '_>,
    path: std::path::PathBuf,
    bound: usize,
    read: impl FnOnce(&mut dyn FnMut(T) -> bool) -> Result<(), ParseError> + Send + 'scope,
) -> Feed<T> {
    let (tx, rx) = std::sync::mpsc::sync_channel(bound);
    scope.spawn(move || {
        let mut gone = false;
        let read = read(&mut |item| {
            gone = tx.send(Msg::Item(item)).is_err();
            !gone
        });
        if !gone {
            let _ = tx.send(match read {
                Ok(()) => Msg::Done,
                Err(e) => Msg::Failed(e),
            });
        }
    });
    Feed {
        rx,
        path,
        finished: false,
    }
}
