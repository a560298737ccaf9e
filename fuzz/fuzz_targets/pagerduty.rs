//! PagerDuty bodies (users and schedules list pages, a schedule with its
//! final rendered entries): any body parses or fails with an error, never
//! panics. What parses is read on as `pull` reads it: entry times, shifts
//! that end before they start, members sorted.
#![no_main]
use libfuzzer_sys::fuzz_target;
use steward::sources::pagerduty::{self, Reference, User};

fuzz_target!(|data: &[u8]| {
    let Some((&which, body)) = data.split_first() else {
        return;
    };
    match which % 3 {
        0 => {
            if let Ok((users, _more)) = pagerduty::parse_list_page::<User>(body, "users") {
                let _: Vec<String> = users
                    .into_iter()
                    .filter_map(|u| u.email.filter(|e| !e.trim().is_empty()))
                    .map(|e| e.trim().to_lowercase())
                    .collect();
            }
        }
        1 => {
            let _ = pagerduty::parse_list_page::<Reference>(body, "schedules");
        }
        _ => {
            let Ok(s) = pagerduty::parse_schedule(body) else {
                return;
            };
            for e in s
                .final_schedule
                .unwrap_or_default()
                .rendered_schedule_entries
            {
                if let (Some(start), Some(end)) = (
                    pagerduty::parse_time(&e.start),
                    pagerduty::parse_time(&e.end),
                ) {
                    let _ = end <= start;
                    let _ = (end - start).num_seconds();
                }
            }
            let mut members: Vec<String> = s.users.iter().map(|r| r.id.clone()).collect();
            members.sort();
            members.dedup();
        }
    }
});
