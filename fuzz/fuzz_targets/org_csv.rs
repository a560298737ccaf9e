//! The org directory's CSV files: any bytes parse or fail with an error, never panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

mod evaluate;

fuzz_target!(|data: &[u8]| {
    if let Some((&which, body)) = data.split_first() {
        let name = ["people.csv", "trainings.csv", "grants.csv"][which as usize % 3];
        evaluate::parse_and_evaluate(name, body);
    }
});
