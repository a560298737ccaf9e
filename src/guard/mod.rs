//! What stops steward from keeping data that looks wrong, before a sync
//! replaces a source's rows: the shrink guard (a source suddenly providing
//! far less than it did) and cycles in the org's trees (areas, teams,
//! managers). Pure: the counts and the org come in, a verdict goes out.

pub mod cycles;
pub mod shrink;

pub use cycles::Cycle;
pub use shrink::{Counts, HeldBack, ShrinkKind, Threshold};
