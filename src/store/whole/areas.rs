//! A batch's areas evaluated on the machine's cores: a window of areas at a
//! time, the cores taking a few areas each in turn (a few areas hold most
//! grants, so equal shares would not be equal work), the window's areas
//! then handed over in order. Memory follows the window, not the number
//! of suggestions.

use super::Batch;
use crate::model::*;
use crate::policy::{Audiences, Evaluation, Snapshot, listed_order};
use std::ops::Range;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Areas a core takes at a time.
const CHUNK: usize = 8;

/// Areas of a window, per core.
const WINDOW_PER_CORE: usize = 16 * CHUNK;

/// One area evaluated.
pub(super) struct Area {
    /// Its suggestions, in the order they are listed in.
    pub suggestions: Vec<Suggestion>,
    /// How many grants it holds.
    pub grants: usize,
}

/// What one core keeps from window to window: the audiences it worked out,
/// and grants whose strings it writes over.
#[derive(Default)]
struct Worker<'s> {
    audiences: Audiences<'s>,
    grants: Vec<Grant>,
}

/// Evaluates areas on the machine's cores (at most four).
pub(super) struct Areas<'s> {
    workers: Vec<Worker<'s>>,
}

impl<'s> Areas<'s> {
    pub fn new() -> Areas<'s> {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get().clamp(1, 4));
        Areas::on(cores)
    }

    /// On `cores` cores (at least one).
    fn on(cores: usize) -> Areas<'s> {
        Areas {
            workers: (0..cores.max(1)).map(|_| Worker::default()).collect(),
        }
    }

    /// Each area of `batch` evaluated with `eval`, handed to `each` in the
    /// batch's order; `each` returns `false` to stop, and then so does
    /// this.
    pub fn evaluate(
        &mut self,
        eval: &Evaluation<'s>,
        snap: &'s Snapshot,
        batch: &Batch,
        mut each: impl FnMut(Area) -> bool,
    ) -> bool {
        let ranges: Vec<Range<usize>> = batch.area_ranges().collect();
        for window in ranges.chunks(WINDOW_PER_CORE * self.workers.len()) {
            for area in self.window(eval, snap, batch, window) {
                if !each(area) {
                    return false;
                }
            }
        }
        true
    }

    /// The areas of `window` (each a range of the batch's entitlements),
    /// evaluated, in its order.
    fn window(
        &mut self,
        eval: &Evaluation<'s>,
        snap: &'s Snapshot,
        batch: &Batch,
        window: &[Range<usize>],
    ) -> Vec<Area> {
        let next = AtomicUsize::new(0);
        let work = |w: &mut Worker<'s>| {
            let mut mine = Vec::new();
            loop {
                let start = next.fetch_add(1, Ordering::Relaxed) * CHUNK;
                let Some(chunk) = window.get(start..window.len().min(start + CHUNK)) else {
                    break mine;
                };
                if chunk.is_empty() {
                    break mine;
                }
                for (k, range) in chunk.iter().enumerate() {
                    mine.push((start + k, area(eval, snap, batch, range.clone(), w)));
                }
            }
        };
        let work = &work;
        let (first, rest) = match self.workers.split_first_mut() {
            Some((first, rest)) if window.len() > CHUNK => (first, rest),
            Some((first, _)) => (first, &mut [][..]),
            None => return Vec::new(),
        };
        let mut done = std::thread::scope(|s| {
            let helpers: Vec<_> = rest.iter_mut().map(|w| s.spawn(move || work(w))).collect();
            let mut done = work(first);
            for h in helpers {
                // A panic in an area is a bug in the engine: raise it here.
                done.extend(h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)));
            }
            done
        });
        done.sort_unstable_by_key(|(k, _)| *k);
        done.into_iter().map(|(_, area)| area).collect()
    }
}

/// The area whose entitlements are `range` (of the batch's), evaluated.
fn area<'s>(
    eval: &Evaluation<'s>,
    snap: &'s Snapshot,
    batch: &Batch,
    range: Range<usize>,
    w: &mut Worker<'s>,
) -> Area {
    let mut out = Area {
        suggestions: Vec::new(),
        grants: 0,
    };
    let id = |e: usize| snap.org.entitlements[e].id.as_str();
    batch.each(range, &mut w.grants, id, |e, grants| {
        out.grants += grants.len();
        eval.entitlement(e, grants, &mut w.audiences, &mut out.suggestions);
    });
    out.suggestions.sort_by(listed_order);
    out
}

#[cfg(test)]
mod tests {
    use super::super::{COLUMNS, Plan, plan_of_org};
    use super::*;
    use crate::policy::{Scope, suggestions};
    use crate::store::Store;

    /// On one core or several, windows of many areas or one, the areas
    /// come out in order with the suggestions the whole organization's
    /// evaluation gives, and stopping stops.
    #[test]
    fn areas_evaluated_on_several_cores_are_the_whole_evaluation() {
        let now: Time = "2026-03-02T12:00:00Z".parse().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.db");
        let mut store = Store::open(&path).unwrap();
        let org = crate::r#gen::generate(3000, 5, now);
        let source = crate::sync::files_source_info(dir.path());
        store.replace_source(&source, &org, now).unwrap();
        let org = store.load_org().unwrap();
        let plan = plan_of_org(&org);
        let snap = Snapshot::new(org);
        let want = suggestions(&snap, &Scope::everything(&snap), now);
        let batch = one_batch(&store, &plan);
        assert!(plan.len() > 2 * WINDOW_PER_CORE, "{} areas", plan.len());
        assert!(want.len() > 100, "{} suggestions", want.len());
        let eval = Evaluation::new(&snap, &Scope::everything(&snap), now);
        for cores in 1..=3 {
            let mut areas = Areas::on(cores);
            let (mut got, mut n) = (Vec::new(), 0);
            let all = areas.evaluate(&eval, &snap, &batch, |area| {
                got.extend(area.suggestions);
                n += 1;
                true
            });
            assert!(all);
            assert_eq!(n, plan.len());
            assert_eq!(got, want, "on {cores} cores");
            let mut seen = 0;
            let stopped = !areas.evaluate(&eval, &snap, &batch, |_| {
                seen += 1;
                seen < 3
            });
            assert!(stopped);
            assert_eq!(seen, 3);
        }
    }

    /// Every area of `plan` in one batch, read as the reader reads them.
    fn one_batch(store: &Store, plan: &Plan) -> Batch {
        let sql = format!("SELECT {COLUMNS} FROM grants WHERE entitlement = ?1 ORDER BY rowid");
        let mut st = store.conn.prepare(&sql).unwrap();
        let mut batch = Batch::default();
        for area in plan {
            for (e, id) in area {
                if let Some(id) = id {
                    let mut rows = st.query([id]).unwrap();
                    while let Some(r) = rows.next().unwrap() {
                        batch.push(r).unwrap();
                    }
                }
                batch.end_entitlement(*e);
            }
            batch.end_area();
        }
        batch
    }
}
