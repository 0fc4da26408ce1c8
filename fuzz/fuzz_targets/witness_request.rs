//! The witness's decision for one `add-checkpoint` body (`truce_witness::core`), over an in-memory
//! store holding a cosigned size 5 of the fuzz log (the tree of `leaf0`..`leaf4`, as the seeds). Every refusal is one of the spec's statuses.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use truce_witness::{MemWitnessStore, TrustedLog, Witness, WitnessStore, Witnessed};

#[path = "keys.rs"]
mod keys;

static WITNESS: OnceLock<Witness> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let w = WITNESS.get_or_init(|| {
        let log = TrustedLog::new(keys::ORIGIN, &[keys::log_key().verifier]).expect("trusted log");
        Witness::new(keys::cosigner(), vec![log]).expect("witness")
    });
    let store = MemWitnessStore::new();
    let cp = keys::checkpoint(5);
    let seeded = Witnessed {
        size: cp.size,
        root: cp.root,
        note: cp.note,
    };
    let swapped = store
        .compare_and_swap(keys::ORIGIN, 0, &seeded)
        .expect("seeded");
    assert_eq!(swapped, Ok(()), "an empty store takes size 5");
    match w.add_checkpoint(&store, data, 1_700_000_000) {
        Ok(lines) => assert!(lines.ends_with('\n')),
        Err(e) => assert!(
            [400, 403, 404, 409, 422].contains(&e.status()),
            "{e}: {}",
            e.status()
        ),
    }
});
