//! iCalendar rotation feeds: any text parses or fails with an error, never panics.
#![no_main]
use libfuzzer_sys::fuzz_target;
use steward::sources::files::ics::{parse_feed, FeedOptions, PersonMatcher, Window};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let people = Vec::new();
    let matcher = PersonMatcher::new(&people);
    let now = steward::model::Time::from_timestamp(1_780_000_000, 0).unwrap_or_default();
    let opts = FeedOptions {
        window: Some(Window::around(now, 90, 400)),
        ..FeedOptions::default()
    };
    let _ = parse_feed(text, std::path::Path::new("feed.ics"), &matcher, &opts);
});
