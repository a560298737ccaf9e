//! The org directory's TOML files: any bytes parse or fail with an error, never panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

mod evaluate;

fuzz_target!(|data: &[u8]| {
    if let Some((&which, body)) = data.split_first() {
        let name = ["teams.toml", "rotations.toml", "areas.toml", "delegations.toml", "rules.toml"][which as usize % 5];
        evaluate::parse_and_evaluate(name, body);
    }
});
