//! steward: a terminal console for the owners of an organization's systems.
//!
//! Layers, top to bottom (dependencies point down): `cli`, `sync`/`apply`,
//! `sources`, `store`, `policy`, `model`.

pub mod apply;
pub mod checkpoint;
pub mod cli;
pub mod config;
pub mod credentials;
pub mod demo;
pub mod digest;
pub mod r#gen;
pub mod guard;
pub mod ids;
pub mod kept_evaluation;
pub mod model;
pub mod net;
pub mod org_tables;
pub mod paths;
pub mod policy;
pub mod reconcile;
pub mod redaction;
pub mod safe_text;
pub mod serve;
pub mod sources;
pub mod store;
pub mod sync;
pub mod time;
pub mod tui;
