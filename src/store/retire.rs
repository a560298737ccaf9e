//! Retiring a source: dropping the cached rows of a source no longer configured.
