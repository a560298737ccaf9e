//! Plain types: the organization as steward sees it, and what the policy
//! engine says about it. No I/O, no clock.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

mod grant_batch;
pub use grant_batch::{GrantBatch, GrantCells};

/// A point in time; always UTC inside steward.
pub type Time = DateTime<Utc>;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    #[default]
    Active,
    Left,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Active => "active",
            Status::Left => "left",
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    pub id: String,
    pub name: String,
    pub email: String,
    pub manager: Option<String>,
    pub status: Status,
    /// Their role (job title), as the roster gives it; `None` when it gives none.
    #[serde(default)]
    pub title: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Team {
    pub id: String,
    pub name: String,
    pub parent: Option<String>,
    pub lead: Option<String>,
    pub members: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shift {
    pub person: String,
    pub start: Time,
    pub end: Time,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rotation {
    pub id: String,
    pub name: String,
    pub team: Option<String>,
    pub members: Vec<String>,
    pub shifts: Vec<Shift>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Training {
    pub person: String,
    pub course: String,
    pub completed: Time,
    pub expires: Option<Time>,
}

pub const DEFAULT_REVIEW_DAYS: i64 = 90;
pub const DEFAULT_ESCALATE_DAYS: i64 = 14;
/// How many automatic changes one area takes in one run before the guard
/// holds them all back, unless the area (or one above it) says otherwise.
pub const DEFAULT_MAX_AUTO_CHANGES: i64 = 20;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Area {
    pub id: String,
    pub name: String,
    pub parent: Option<String>,
    pub owner: String,
    pub tags: Vec<String>,
    pub notes: String,
    pub review_days: i64,
    pub escalate_days: i64,
    /// `max_auto_changes` as the area says it; `None` inherits the parent's
    /// (and at the root, [`DEFAULT_MAX_AUTO_CHANGES`]).
    pub max_auto_changes: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entitlement {
    pub id: String,
    pub area: String,
    pub name: String,
    pub upstream: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Basis {
    Rule(String),
    Manual,
}

impl Basis {
    pub fn parse(text: &str) -> Option<Basis> {
        match text {
            "manual" => Some(Basis::Manual),
            _ => text
                .strip_prefix("rule:")
                .filter(|id| !id.is_empty())
                .map(|id| Basis::Rule(id.to_string())),
        }
    }

    pub fn rule(&self) -> Option<&str> {
        match self {
            Basis::Rule(id) => Some(id),
            Basis::Manual => None,
        }
    }
}

impl std::fmt::Display for Basis {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Basis::Rule(id) => write!(f, "rule:{id}"),
            Basis::Manual => f.write_str("manual"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    pub person: String,
    pub entitlement: String,
    pub granted_by: Option<String>,
    pub granted_at: Time,
    pub basis: Basis,
    pub expires: Option<Time>,
    /// For a membership seen upstream through nested groups: the groups it
    /// comes through, the person's own group first and the entitlement's
    /// group last (`team-platform -> payments-deployers`). `None` when the
    /// person is a direct member, or the grant is not a group membership.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub through: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delegation {
    pub area: String,
    pub to: String,
    pub by: String,
    pub since: Time,
    pub until: Option<Time>,
}

impl Delegation {
    /// Active at `t`: `since <= t` and no `until`, or `until > t`.
    pub fn active_at(&self, t: Time) -> bool {
        self.since <= t && self.until.is_none_or(|u| u > t)
    }
}

/// Who takes an action, and how they proved it. Locally the person comes
/// from `--as` or `me` and is trusted (authority there guards against
/// mistakes, not against the person at the keyboard); served, from the SSH
/// key or certificate the session authenticated with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    pub person: String,
    pub via: Via,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "via", rename_all = "lowercase")]
pub enum Via {
    /// The local CLI or console.
    Local,
    /// A registered SSH key (`SHA256:...` fingerprint).
    Key { fingerprint: String },
    /// An OpenSSH user certificate: its key's fingerprint, its serial and
    /// the fingerprint of the CA that signed it.
    Certificate {
        fingerprint: String,
        serial: u64,
        ca: String,
    },
}

impl Actor {
    pub fn local(person: impl Into<String>) -> Actor {
        Actor {
            person: person.into(),
            via: Via::Local,
        }
    }

    /// Whether the identity was proven by authentication (served mode).
    pub fn authenticated(&self) -> bool {
        !matches!(self.via, Via::Local)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Audience {
    Team(String),
    Rotation(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rule {
    pub id: String,
    pub area: String,
    pub author: String,
    pub why: String,
    pub grant: Vec<String>,
    pub audience: Audience,
    pub trained: Vec<String>,
    pub only_while_oncall: bool,
    /// Whether its consequences wait for a decision or are carried out.
    pub apply: ApplyMode,
    /// Seconds before a shift starts that an `only_while_oncall` rule
    /// already counts the person on call (`lead = "30m"`).
    pub lead_secs: i64,
    /// Seconds after a shift ends that the person still counts as on call,
    /// and as a member of the rotation (`grace = "15m"`).
    pub grace_secs: i64,
}

/// What a rule's consequences wait for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ApplyMode {
    /// Each becomes a suggestion for a person to decide.
    #[default]
    Suggest,
    /// Its grants, and the revokes of its own grants, are carried out by
    /// steward: the rule is the consent.
    Auto,
}

impl ApplyMode {
    pub fn as_str(self) -> &'static str {
        match self {
            ApplyMode::Suggest => "suggest",
            ApplyMode::Auto => "auto",
        }
    }

    pub fn parse(text: &str) -> Option<ApplyMode> {
        match text {
            "suggest" => Some(ApplyMode::Suggest),
            "auto" => Some(ApplyMode::Auto),
            _ => None,
        }
    }
}

/// Everything the sources say about the organization.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Org {
    pub people: Vec<Person>,
    pub teams: Vec<Team>,
    pub rotations: Vec<Rotation>,
    pub trainings: Vec<Training>,
    pub areas: Vec<Area>,
    pub entitlements: Vec<Entitlement>,
    pub grants: Vec<Grant>,
    pub delegations: Vec<Delegation>,
    pub rules: Vec<Rule>,
}

/// One table's worth of an [`Org`] (areas with their entitlements, rotations
/// with their shifts), for a source that hands its org over piece by piece.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrgPart {
    People(Vec<Person>),
    Teams(Vec<Team>),
    Rotations(Vec<Rotation>),
    Trainings(Vec<Training>),
    Areas(Vec<Area>, Vec<Entitlement>),
    Delegations(Vec<Delegation>),
    Rules(Vec<Rule>),
}

impl OrgPart {
    /// Moves this part into `org`, replacing what it held of that table.
    pub fn put_into(self, org: &mut Org) {
        match self {
            OrgPart::People(v) => org.people = v,
            OrgPart::Teams(v) => org.teams = v,
            OrgPart::Rotations(v) => org.rotations = v,
            OrgPart::Trainings(v) => org.trainings = v,
            OrgPart::Areas(a, e) => {
                org.areas = a;
                org.entitlements = e;
            }
            OrgPart::Delegations(v) => org.delegations = v,
            OrgPart::Rules(v) => org.rules = v,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Grant,
    Revoke,
    Review,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Grant => "grant",
            Kind::Revoke => "revoke",
            Kind::Review => "review",
        }
    }

    pub fn parse(text: &str) -> Option<Kind> {
        match text {
            "grant" => Some(Kind::Grant),
            "revoke" => Some(Kind::Revoke),
            "review" => Some(Kind::Review),
            _ => None,
        }
    }
}

/// Why a suggestion exists. Each kind has its own codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// grant: qualifies under a counting rule and holds no grant.
    Qualifies,
    /// grant: qualifies under an `only_while_oncall` rule because a shift covers now.
    OnCall,
    /// revoke: the person has left.
    PersonLeft,
    /// revoke: a manual grant whose `expires` has passed.
    GrantExpired,
    /// revoke: no longer a member of the rule's team or rotation.
    NotMember,
    /// revoke: a required training has expired.
    TrainingExpired,
    /// revoke: a required training was never completed.
    TrainingMissing,
    /// revoke: the rule is `only_while_oncall` and no shift covers now.
    OffCall,
    /// revoke: the rule behind the grant no longer counts (author lost authority).
    RuleNotCounting,
    /// revoke: the rule behind the grant does not exist or no longer grants it.
    RuleGone,
    /// review: a manual grant older than its area's review interval.
    ReviewDue,
    /// review: the grantor had no authority over the area when granting.
    GrantorNoAuthority,
    /// review: a membership found upstream, with no known grantor.
    ExistingMembership,
}

impl Reason {
    pub const ALL: [Reason; 13] = [
        Reason::Qualifies,
        Reason::OnCall,
        Reason::PersonLeft,
        Reason::GrantExpired,
        Reason::NotMember,
        Reason::TrainingExpired,
        Reason::TrainingMissing,
        Reason::OffCall,
        Reason::RuleNotCounting,
        Reason::RuleGone,
        Reason::ReviewDue,
        Reason::GrantorNoAuthority,
        Reason::ExistingMembership,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Qualifies => "qualifies",
            Reason::OnCall => "on_call",
            Reason::PersonLeft => "person_left",
            Reason::GrantExpired => "grant_expired",
            Reason::NotMember => "not_member",
            Reason::TrainingExpired => "training_expired",
            Reason::TrainingMissing => "training_missing",
            Reason::OffCall => "off_call",
            Reason::RuleNotCounting => "rule_not_counting",
            Reason::RuleGone => "rule_gone",
            Reason::ReviewDue => "review_due",
            Reason::GrantorNoAuthority => "grantor_no_authority",
            Reason::ExistingMembership => "existing_membership",
        }
    }

    pub fn parse(text: &str) -> Option<Reason> {
        Reason::ALL.into_iter().find(|r| r.as_str() == text)
    }

    pub fn kind(self) -> Kind {
        match self {
            Reason::Qualifies | Reason::OnCall => Kind::Grant,
            Reason::ReviewDue | Reason::GrantorNoAuthority | Reason::ExistingMembership => {
                Kind::Review
            }
            _ => Kind::Revoke,
        }
    }
}

/// A difference between what rules justify and what exists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Suggestion {
    pub kind: Kind,
    pub person: String,
    pub entitlement: String,
    pub area: String,
    pub reason: Reason,
    pub evidence: String,
    pub rule: Option<String>,
}

impl Suggestion {
    /// What the suggestion rests on: a decision recorded against one
    /// fingerprint stops holding once the facts (kind, reason, evidence) change.
    pub fn fingerprint(&self) -> String {
        format!(
            "{}|{}|{}|{}",
            self.kind.as_str(),
            self.reason.as_str(),
            self.rule.as_deref().unwrap_or(""),
            self.evidence
        )
    }
}

/// An owner's answer to a suggestion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Do what the suggestion says (for a review: keep the grant, renewed
    /// under the decider's authority).
    Accept,
    /// For a review: revoke the grant instead of keeping it.
    Revoke,
    /// Not doing it, with a reason; holds until the facts change.
    Dismiss,
    /// Not now; holds until a date, or until the facts change.
    Snooze,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Accept => "accept",
            Verdict::Revoke => "revoke",
            Verdict::Dismiss => "dismiss",
            Verdict::Snooze => "snooze",
        }
    }

    pub fn parse(text: &str) -> Option<Verdict> {
        [
            Verdict::Accept,
            Verdict::Revoke,
            Verdict::Dismiss,
            Verdict::Snooze,
        ]
        .into_iter()
        .find(|v| v.as_str() == text)
    }

    /// Does this verdict lead to an upstream change?
    pub fn changes_upstream(self) -> bool {
        matches!(self, Verdict::Accept | Verdict::Revoke)
    }
}

/// Where a decision stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DecisionState {
    /// Dismissed or snoozed: nothing to apply.
    Held,
    /// Accepted, waiting for `apply`.
    Planned,
    Applied,
    /// `apply` refused or failed; the reason is in `result`.
    Failed,
    /// Taken back with undo (the audit log keeps both).
    Undone,
}

impl DecisionState {
    pub fn as_str(self) -> &'static str {
        match self {
            DecisionState::Held => "held",
            DecisionState::Planned => "planned",
            DecisionState::Applied => "applied",
            DecisionState::Failed => "failed",
            DecisionState::Undone => "undone",
        }
    }

    pub fn parse(text: &str) -> Option<DecisionState> {
        [
            DecisionState::Held,
            DecisionState::Planned,
            DecisionState::Applied,
            DecisionState::Failed,
            DecisionState::Undone,
        ]
        .into_iter()
        .find(|v| v.as_str() == text)
    }
}

/// A recorded decision on one suggestion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    pub id: i64,
    pub at: Time,
    pub decider: String,
    pub verdict: Verdict,
    /// The suggestion as it was when decided.
    pub suggestion: Suggestion,
    /// The decider's reason (required to dismiss).
    pub note: Option<String>,
    /// Snoozed until.
    pub until: Option<Time>,
    pub state: DecisionState,
    pub applied_at: Option<Time>,
    pub result: Option<String>,
    /// Who made it: a person, or an automatic rule.
    pub origin: Origin,
}

/// Where a decision comes from.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    /// Its decider decided it.
    #[default]
    Person,
    /// Automatic rule `id` carried it out, with the consent of its author
    /// (the decider).
    Rule(String),
    /// Its decider undid automatic change `id`: a dismissal (or, for a
    /// revoke, a kept grant) that also reverses that change upstream.
    Undoes(i64),
}

impl Origin {
    /// The automatic rule that made the decision, if one did.
    pub fn rule(&self) -> Option<&str> {
        match self {
            Origin::Rule(id) => Some(id),
            _ => None,
        }
    }
}

impl Decision {
    /// Does this decision still hold the suggestion `s` out of the queue at `now`?
    pub fn covers(&self, s: &Suggestion, now: Time) -> bool {
        if self.suggestion.person != s.person
            || self.suggestion.entitlement != s.entitlement
            || self.suggestion.fingerprint() != s.fingerprint()
        {
            return false;
        }
        match (self.verdict, self.state) {
            (_, DecisionState::Undone) => false,
            (Verdict::Snooze, _) => self.until.is_some_and(|u| u > now),
            (Verdict::Dismiss, _) => true,
            // Accepted and planned, or applied but not yet seen by a sync.
            (_, DecisionState::Planned | DecisionState::Applied) => true,
            (_, _) => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basis_parses_rule_and_manual_only() {
        assert_eq!(Basis::parse("manual"), Some(Basis::Manual));
        assert_eq!(Basis::parse("rule:db"), Some(Basis::Rule("db".into())));
        assert_eq!(Basis::parse("rule:"), None);
        assert_eq!(Basis::parse("Manual"), None);
        assert_eq!(Basis::Rule("x".into()).to_string(), "rule:x");
    }

    #[test]
    fn every_reason_round_trips_and_has_a_kind() {
        for r in Reason::ALL {
            assert_eq!(Reason::parse(r.as_str()), Some(r));
            let json = serde_json::to_string(&r).unwrap_or_default();
            assert_eq!(json, format!("\"{}\"", r.as_str()));
        }
        assert_eq!(Reason::OnCall.kind(), Kind::Grant);
        assert_eq!(Reason::OffCall.kind(), Kind::Revoke);
        assert_eq!(Reason::ReviewDue.kind(), Kind::Review);
    }

    #[test]
    fn delegation_window_is_half_open() {
        let t = |s: &str| s.parse::<Time>().unwrap_or_default();
        let d = Delegation {
            area: "a".into(),
            to: "p".into(),
            by: "o".into(),
            since: t("2026-01-01T00:00:00Z"),
            until: Some(t("2026-02-01T00:00:00Z")),
        };
        assert!(!d.active_at(t("2025-12-31T23:59:59Z")));
        assert!(d.active_at(t("2026-01-01T00:00:00Z")));
        assert!(d.active_at(t("2026-01-31T23:59:59Z")));
        assert!(!d.active_at(t("2026-02-01T00:00:00Z")));
    }
}
