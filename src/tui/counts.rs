//! Pending suggestions counted by kind: what a tree row and the header show.

use crate::model::Kind;
use serde::{Deserialize, Serialize};

/// How many grant, revoke and review suggestions are pending somewhere.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub grant: usize,
    pub revoke: usize,
    pub review: usize,
}

impl Counts {
    /// One more of `kind`.
    pub fn bump(&mut self, kind: Kind) {
        *self.slot(kind) += 1;
    }

    /// How many of `kind`.
    pub fn of(&self, kind: Kind) -> usize {
        match kind {
            Kind::Grant => self.grant,
            Kind::Revoke => self.revoke,
            Kind::Review => self.review,
        }
    }

    pub fn total(&self) -> usize {
        self.grant + self.revoke + self.review
    }

    pub fn is_zero(&self) -> bool {
        self.total() == 0
    }

    fn slot(&mut self, kind: Kind) -> &mut usize {
        match kind {
            Kind::Grant => &mut self.grant,
            Kind::Revoke => &mut self.revoke,
            Kind::Review => &mut self.review,
        }
    }
}

impl std::ops::AddAssign for Counts {
    fn add_assign(&mut self, other: Counts) {
        self.grant += other.grant;
        self.revoke += other.revoke;
        self.review += other.review;
    }
}
