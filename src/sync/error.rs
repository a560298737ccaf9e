//! Why a configured source's sync kept nothing of what it read, and why a
//! sync of an org directory did.

use crate::guard::HeldBack;
use crate::sources::PullError;
use crate::sources::files::ParseError;

/// Why `sync --org DIR` kept nothing of the directory.
#[derive(Debug, thiserror::Error)]
pub enum DirError {
    /// A file of the directory is wrong (file:line and why).
    #[error("sync failed; the cache keeps its previous data: {0}")]
    Parse(ParseError),
    /// An id another source's cached rows hold too (naming both).
    #[error("sync failed; the cache keeps its previous data: {0}")]
    Beside(SourceError),
    /// The shrink guard held it back.
    #[error(transparent)]
    HeldBack(HeldBack),
    /// The cache refused the write.
    #[error("sync failed; the cache keeps its previous data: {}", chain(.0))]
    Store(crate::store::Error),
    /// The outcome could not be recorded in the cache.
    #[error(transparent)]
    Record(#[from] crate::store::Error),
}

impl DirError {
    /// What went wrong, with every cause it carries, on one line.
    pub fn cause(&self) -> String {
        match self {
            DirError::Store(e) => chain(e),
            e => e.to_string(),
        }
    }
}

/// An error and its causes, `: `-separated.
fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        text.push_str(&format!(": {c}"));
        cause = c.source();
    }
    text
}

/// Why a source's sync failed; its cached data stays as it was.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SourceError {
    /// The connector could not be opened, or its pull failed: the error
    /// with its causes, as the connector gave it.
    #[error(transparent)]
    Pull(PullError),
    /// Every feed of an `ics` source failed: the first one's error.
    #[error(transparent)]
    Feeds(PullError),
    /// Two people of two sources with one id and different emails.
    #[error(
        "person {id} is provided by both {other} ({theirs}) and {mine} ({email}): two people cannot share an id"
    )]
    SharedPerson {
        id: String,
        other: String,
        theirs: String,
        mine: String,
        email: String,
    },
    /// Ids another source provides too.
    #[error("{}", .0.iter().map(|t| t.to_string()).collect::<Vec<_>>().join("; "))]
    Twice(Vec<Twice>),
    /// An id the source defines is not in the id grammar; where the source
    /// read it, when it says (a catalog's file:line or entity ref).
    #[error("refused: {}{}", at(.1), .0)]
    BadId(crate::ids::NotAnId, Option<String>),
    /// The source's areas, teams or managers form a cycle; where the source
    /// read its first record, when it says.
    #[error("refused: {}{}", at(.1), .0)]
    Cycle(crate::guard::cycles::Cycle, Option<String>),
    /// The cache could not be read while writing the source.
    #[error("{0}")]
    Cache(String),
    /// The cache could not be written.
    #[error("cannot write to the cache: {0}")]
    Write(String),
    /// The shrink guard held the source's sync back.
    #[error(transparent)]
    HeldBack(HeldBack),
}

/// `origin: `, or nothing.
fn at(origin: &Option<String>) -> String {
    origin
        .as_ref()
        .map(|o| format!("{o}: "))
        .unwrap_or_default()
}

/// A team, rotation, area or entitlement id that another source provides
/// too, with no `precedence` between them: `theirs` came first (in the
/// config, or in the cache), `origin` is where `mine` read it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{kind} {id} is provided by both {theirs} and {mine}{}: list both in `precedence` to say which counts, or provide it from one",
    .origin.as_ref().map(|o| format!(" ({o})")).unwrap_or_default()
)]
pub struct Twice {
    pub kind: &'static str,
    pub id: String,
    pub theirs: String,
    pub mine: String,
    pub origin: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn several_ids_provided_twice_are_said_in_one_line() {
        let t = |id: &str, origin: Option<&str>| Twice {
            kind: "area",
            id: id.into(),
            theirs: "files".into(),
            mine: "catalog".into(),
            origin: origin.map(String::from),
        };
        let e = SourceError::Twice(vec![t("billing", Some("systems.yaml:1")), t("hr", None)]);
        assert_eq!(
            e.to_string(),
            "area billing is provided by both files and catalog (systems.yaml:1): list both in `precedence` to say which counts, or provide it from one; \
area hr is provided by both files and catalog: list both in `precedence` to say which counts, or provide it from one"
        );
    }
}
