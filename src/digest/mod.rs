//! Digests: a short, calm message per owner with what needs them (new
//! suggestions, shifts starting soon whose people lack a grant, overdue
//! decisions escalated up the owner chain), delivered by mail or webhook.
//!
//! Composing ([`compose`], [`render`]) is pure; [`run`] reads the store,
//! delivers ([`smtp`], [`webhook`]) and records each delivery with its audit
//! entry, so the next digest says only what is new and a failed one is sent
//! again by the next run.

pub mod compose;
pub mod render;
pub mod run;
pub mod smtp;
pub mod webhook;

pub use compose::{Digest, History, Inputs, Upcoming, compose, owners, responsible};
pub use render::{Format, render};
