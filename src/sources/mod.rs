//! Connectors: each reads one kind of upstream into the model.

pub mod files;
