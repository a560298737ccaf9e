//! Why a connector could not read (or change) its upstream. Each kind is a
//! variant, so `sync` and the command line match what happened instead of
//! reading text; each says itself as the person sees it.

use super::backstage::CatalogError;
use super::files::ParseError;
use super::http::FetchError;

/// Why a source's pull (or a request to it) failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PullError {
    /// Talking to the source failed: no answer, an HTTP error status, a
    /// body that is not what was asked for. It names the method and URL.
    #[error(transparent)]
    Fetch(#[from] FetchError),
    /// A file of the org directory (or an iCalendar feed) cannot be read.
    #[error(transparent)]
    Parse(#[from] ParseError),
    /// A Backstage catalog file cannot be read: its file and line.
    #[error("source {name}: {error}")]
    Catalog { name: String, error: CatalogError },
    /// The source answered, but what it answered is refused (paging that
    /// repeats itself, more than `max_pages`, an ambiguous match, nothing
    /// at all where an empty answer would wipe the cache).
    #[error("source {name}: {reason}")]
    Refused { name: String, reason: String },
    /// A local file or directory source `name` reads from cannot be read.
    #[error("source {name}: {what}: {reason}")]
    Unreadable {
        name: String,
        what: String,
        reason: String,
    },
    /// A URL built from the configured base is not a URL.
    #[error("bad URL {text:?}: {reason}")]
    BadUrl { text: String, reason: String },
    /// The source's credential is not there (names where it was looked
    /// for, never its value).
    #[error("{0}")]
    Credential(String),
    /// The pull did not finish: its task stopped, or it ran past the
    /// sync's limit.
    #[error("{0}")]
    Stopped(String),
}

impl PullError {
    /// A refusal of what source `name` answered.
    pub fn refused(name: &str, reason: impl Into<String>) -> PullError {
        PullError::Refused {
            name: name.to_string(),
            reason: reason.into(),
        }
    }

    /// A local file or directory of source `name` that cannot be read:
    /// `what` says which (`cannot read catalog directory X`), `e` why.
    pub fn unreadable(name: &str, what: impl Into<String>, e: &std::io::Error) -> PullError {
        PullError::Unreadable {
            name: name.to_string(),
            what: what.into(),
            reason: e.to_string(),
        }
    }
}

/// The result of a connector's work.
pub type Result<T, E = PullError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_says_what_and_where() {
        let fetch = FetchError {
            source: "okta".into(),
            method: "GET".into(),
            url: "http://127.0.0.1:9/Users".into(),
            status: Some(500),
            reason: "empty body".into(),
        };
        assert_eq!(
            PullError::from(fetch).to_string(),
            "source okta: GET http://127.0.0.1:9/Users: HTTP 500 Internal Server Error: empty body"
        );
        let catalog = CatalogError {
            file: "cat/a.yaml".into(),
            line: 3,
            message: "bad".into(),
        };
        let e = PullError::Catalog {
            name: "backstage".into(),
            error: catalog,
        };
        assert_eq!(e.to_string(), "source backstage: cat/a.yaml:3: bad");
        assert_eq!(
            PullError::refused("pd", "still `more`").to_string(),
            "source pd: still `more`"
        );
    }
}
