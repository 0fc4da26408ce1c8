//! The pure core against a model: random sequences of add-checkpoint requests (right and wrong
//! old sizes, the real log and a fork) leave exactly the state the spec implies, and every answer
//! has the status the model predicts. Also: the clock is never read (timestamps are `now`, and 0
//! becomes 1).

mod common;

use common::*;
use proptest::prelude::*;
use truce_witness::{AddError, MemWitnessStore, WitnessStore};

const ORIGIN: &str = "truce.test/log";
const TREE: usize = 300;

fn status(r: &Result<String, AddError>) -> u16 {
    match r {
        Ok(_) => 200,
        Err(e) => e.status(),
    }
}

#[test]
fn timestamps_are_the_time_passed_in() {
    let log = Log::new(ORIGIN, 1, 10);
    let wit = witness(&[&log]);
    let store = MemWitnessStore::new();
    let line = wit.add_checkpoint(&store, &log.request(0, 5), 0).unwrap();
    let note = truce_log::cosignature::add_cosignature(&log.checkpoint(5), &line).unwrap();
    assert_eq!(cosigner().verifier().verify(&note).unwrap(), 1);
    let line = wit
        .add_checkpoint(&store, &log.request(5, 10), 1_800_000_000)
        .unwrap();
    assert!(line.ends_with('\n') && line.matches('\n').count() == 1);
    let note = truce_log::cosignature::add_cosignature(&log.checkpoint(10), &line).unwrap();
    assert_eq!(cosigner().verifier().verify(&note).unwrap(), 1_800_000_000);
}

#[test]
fn conflicts_carry_the_recorded_size() {
    let log = Log::new(ORIGIN, 1, 10);
    let wit = witness(&[&log]);
    let store = MemWitnessStore::new();
    wit.add_checkpoint(&store, &log.request(0, 7), 5).unwrap();
    match wit.add_checkpoint(&store, &log.request(0, 10), 5) {
        Err(AddError::Conflict { size: 7 }) => {}
        other => panic!("expected a conflict at 7, got {other:?}"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn the_state_follows_the_model(ops in proptest::collection::vec((0usize..TREE + 1, 0usize..TREE + 1, any::<bool>(), 0u8..4), 1..40)) {
        let log = Log::new(ORIGIN, 1, TREE);
        let fork = log.fork(TREE / 3, TREE);
        let wit = witness(&[&log]);
        let store = MemWitnessStore::new();
        let mut model: usize = 0;
        for (a, b, forked, guess) in ops {
            let size = a.max(b);
            // Mostly the right old size, sometimes a wrong one.
            let old = if guess == 0 { a.min(b) } else { model.min(size) };
            let src = if forked { &fork } else { &log };
            let r = wit.add_checkpoint(&store, &src.request(old, size), 1);
            let diverges = forked && size > TREE / 3 && log.root(size) != fork.root(size);
            // A stale old size, or another root at the witnessed size, is a conflict. A fork's
            // proof from a witnessed size beyond the fork point cannot lead from the real root
            // (422); from a size at or before the fork point the fork's checkpoint is consistent
            // with what was witnessed, so the witness cannot tell and accepts it.
            let conflict = old != model || (diverges && old == size);
            let expected = if conflict {
                409
            } else if diverges && old > TREE / 3 {
                422
            } else {
                200
            };
            prop_assert_eq!(status(&r), expected, "old {} size {} forked {} model {}", old, size, forked, model);
            if expected == 200 {
                model = size;
                if diverges {
                    // The witness now follows the fork; stop the run here, the model only knows
                    // the real log.
                    return Ok(());
                }
            }
            let got = store.latest(ORIGIN).unwrap().map(|w| w.size as usize).unwrap_or(0);
            prop_assert_eq!(got, model);
        }
    }
}
