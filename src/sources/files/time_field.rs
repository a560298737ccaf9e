//! Times in org files: RFC 3339 strings, or TOML's own datetimes.

use crate::model::Time;
use chrono::DateTime;
use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use std::fmt;

/// A text that is not an RFC 3339 time with a UTC offset: the text, and
/// what the parser said of it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not an RFC 3339 time with offset: {text:?} ({why})")]
pub struct BadTime {
    pub text: String,
    pub why: String,
}

/// Parses an RFC 3339 time with a UTC offset (`Z` or `+hh:mm`).
pub fn parse_time(text: &str) -> Result<Time, BadTime> {
    let text = text.trim();
    if let Some(t) = parse_utc_fast(text) {
        return Ok(t);
    }
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.to_utc())
        .map_err(|e| BadTime {
            text: text.to_string(),
            why: e.to_string(),
        })
}

/// The common case, `YYYY-MM-DDTHH:MM:SSZ`, without the general parser;
/// anything else (or anything invalid) goes to chrono, which explains errors.
fn parse_utc_fast(t: &str) -> Option<Time> {
    let b = t.as_bytes();
    if b.len() != 20
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
        || b[19] != b'Z'
    {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        b[r].iter().try_fold(0u32, |n, &c| {
            c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
        })
    };
    let date = chrono::NaiveDate::from_ymd_opt(num(0..4)? as i32, num(5..7)?, num(8..10)?)?;
    let time = chrono::NaiveTime::from_hms_opt(num(11..13)?, num(14..16)?, num(17..19)?)?;
    Some(date.and_time(time).and_utc())
}

struct TimeVisitor;

impl<'de> Visitor<'de> for TimeVisitor {
    type Value = Time;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an RFC 3339 time such as 2026-03-02T09:00:00Z")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Time, E> {
        parse_time(v).map_err(E::custom)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Time, A::Error> {
        let dt = toml::value::Datetime::deserialize(de::value::MapAccessDeserializer::new(map))?;
        if dt.offset.is_none() || dt.time.is_none() {
            return Err(de::Error::custom(format!(
                "time {dt} needs a date, a time and a UTC offset (e.g. 2026-03-02T09:00:00Z)"
            )));
        }
        parse_time(&dt.to_string()).map_err(de::Error::custom)
    }
}

pub fn time<'de, D: Deserializer<'de>>(d: D) -> Result<Time, D::Error> {
    d.deserialize_any(TimeVisitor)
}

pub fn optional_time<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Time>, D::Error> {
    struct Wrap(Time);
    impl<'de> Deserialize<'de> for Wrap {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            time(d).map(Wrap)
        }
    }
    Option::<Wrap>::deserialize(d).map(|w| w.map(|w| w.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct T {
        #[serde(deserialize_with = "time")]
        at: Time,
        #[serde(default, deserialize_with = "optional_time")]
        until: Option<Time>,
    }

    #[test]
    fn the_fast_path_agrees_with_chrono() {
        for text in [
            "2026-03-02T12:00:00Z",
            "1999-12-31T23:59:59Z",
            "2024-02-29T00:00:00Z",
        ] {
            let slow = DateTime::parse_from_rfc3339(text).unwrap().to_utc();
            assert_eq!(parse_utc_fast(text), Some(slow));
            assert_eq!(parse_time(text), Ok(slow));
        }
        for bad in [
            "2026-02-30T00:00:00Z",
            "2026-13-01T00:00:00Z",
            "2026-03-02T24:00:00Z",
            "2026-03-02T12:00:00+01:00",
            "2026-03-0xT12:00:00Z",
        ] {
            assert_eq!(parse_utc_fast(bad), None, "{bad}");
        }
        assert_eq!(
            parse_time(" 2026-02-30T00:00:00Z").unwrap_err().to_string(),
            "not an RFC 3339 time with offset: \"2026-02-30T00:00:00Z\" (input is out of range)"
        );
        assert_eq!(
            parse_time("2026-03-02T13:00:00+01:00"),
            parse_time("2026-03-02T12:00:00Z")
        );
    }

    #[test]
    fn accepts_strings_and_toml_datetimes_with_offsets() {
        let a: T = toml::from_str("at = \"2026-03-02T10:00:00+01:00\"").unwrap();
        assert_eq!(a.at.to_rfc3339(), "2026-03-02T09:00:00+00:00");
        assert_eq!(a.until, None);
        let b: T =
            toml::from_str("at = 2026-03-02T09:00:00Z\nuntil = 2026-04-01T00:00:00Z").unwrap();
        assert_eq!(b.at, a.at);
        assert!(b.until.is_some());
    }

    #[test]
    fn rejects_local_times_and_garbage_with_location() {
        let e = toml::from_str::<T>("at = 2026-03-02T09:00:00")
            .err()
            .unwrap();
        assert!(e.to_string().contains("UTC offset"), "{e}");
        let e = toml::from_str::<T>("\n\nat = \"yesterday\"").err().unwrap();
        let msg = e.to_string();
        assert!(msg.contains("line 3"), "{msg}");
        assert!(msg.contains("yesterday"), "{msg}");
    }
}
