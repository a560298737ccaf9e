//! Rules written in steward itself (source `steward`): add, edit, remove,
//! each checked against the author's authority and audited.
