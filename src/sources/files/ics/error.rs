//! Why an iCalendar document, or one of its events, cannot be read. The
//! file and line are added where the error is turned into a `ParseError`.

/// What is wrong with a value, a zone or an event.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IcsError {
    #[error("bad UTC offset {0:?}")]
    BadOffset(String),
    #[error("VTIMEZONE without TZID")]
    ZoneWithoutTzid,
    #[error("VTIMEZONE {zone}: {kind} without {key}")]
    ObservanceWithout {
        zone: String,
        kind: String,
        key: &'static str,
    },
    #[error("VTIMEZONE {zone}: bad DTSTART {value:?}")]
    ObservanceStart { zone: String, value: String },
    #[error("VTIMEZONE {zone}: no STANDARD or DAYLIGHT observance")]
    NoObservance { zone: String },
    /// A problem inside VTIMEZONE `zone`'s rules.
    #[error("VTIMEZONE {zone}: {source}")]
    InZone { zone: String, source: Box<IcsError> },
    /// An UNTIL inside a VTIMEZONE's RRULE.
    #[error("bad UNTIL {0:?}")]
    BadUntil(String),
    /// An UNTIL inside an event's RRULE.
    #[error("RRULE: bad UNTIL {0:?}")]
    RuleUntil(String),
    #[error("RRULE {rule:?}: {source}")]
    Rule {
        rule: String,
        source: Box<rrule::RRuleError>,
    },
    #[error("X-WR-TIMEZONE {0:?} is not a known time zone")]
    CalendarZone(String),
    #[error("the feed's tz {0:?} is not a known time zone")]
    FeedZone(String),
    #[error(
        "unknown time zone {0:?} (not an IANA or Windows zone name, and no VTIMEZONE defines it)"
    )]
    UnknownZone(String),
    /// A floating time or a date, and no zone to read it in; `what` is the
    /// property and its value.
    #[error(
        "{what} has no time zone, and the calendar names none: add X-WR-TIMEZONE to the calendar, or `tz` to the feed's config"
    )]
    Floating { what: String },
    #[error("{property}: bad date {value:?}")]
    BadDate { property: String, value: String },
    #[error("{property}: bad date-time {value:?}")]
    BadDateTime { property: String, value: String },
    /// A problem with the value of `property`.
    #[error("{property}: {source}")]
    InProperty {
        property: String,
        source: Box<IcsError>,
    },
    #[error("DURATION: bad value {0:?}")]
    BadDuration(String),
    #[error("the event has no DTSTART")]
    NoStart,
    #[error("the event ends before it starts")]
    EndsBeforeStart,
}

impl IcsError {
    /// This error, inside VTIMEZONE `zone`.
    pub fn in_zone(self, zone: &str) -> IcsError {
        IcsError::InZone {
            zone: zone.to_string(),
            source: Box::new(self),
        }
    }

    /// This error, about the value of `property`.
    pub fn in_property(self, property: &str) -> IcsError {
        IcsError::InProperty {
            property: property.to_string(),
            source: Box::new(self),
        }
    }
}
