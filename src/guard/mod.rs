//! What stops steward from keeping data that looks wrong, before a sync
//! replaces a source's rows: cycles in the org's trees (areas, teams,
//! managers). Pure: the org comes in, a verdict goes out.

pub mod cycles;

pub use cycles::Cycle;
