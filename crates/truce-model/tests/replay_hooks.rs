//! The replay's hooks (`truce_model::replay::replay_hooked`): called on the applying thread, in log
//! order, before and after every entry, with the entry's own bytes and the ledger just before and
//! just after it — whatever the number of decoder threads — and the ledger they leave is the
//! sequential one.

mod common;

use common::{key, register, signed};
use truce_model::domain::*;
use truce_model::entry::Body;
use truce_model::replay::{replay_hooked, Hooks};
use truce_model::{Applied, Ledger};

/// An operator, a party and 1,500 more entries: reports (every 40th refused: a reused id with
/// other content) and raw lines.
fn log() -> Vec<Vec<u8>> {
    let op = key("operator");
    let ua = key("ua");
    let mut out = vec![
        signed(&op, "operator", &register("operator", Role::Operator, &op)),
        signed(&op, "operator", &register("ua", Role::Belligerent, &ua)),
    ];
    for k in 0..1500u32 {
        if k % 89 == 0 {
            out.push(format!("raw line {k}").into_bytes());
            continue;
        }
        let rid = if k % 40 == 0 { 1 } else { k };
        let body = Body::Report(
            serde_json::from_value(serde_json::json!({
                "id": format!("r{rid}"), "time": {"start": "2025-03-20T20:22:00Z"},
                "location": {"point": [35.0 + f64::from(k) / 1e4, 51.19], "uncertainty_m": 300},
                "act": "shelling", "text": format!("test {k}")
            }))
            .unwrap(),
        );
        out.push(signed(&ua, "ua", &body));
    }
    out
}

/// One entry as the hooks saw it: (index, bytes, ledger size and accepted entries before, what
/// applying did, size and accepted entries after).
type Call = (u64, Vec<u8>, u64, usize, Applied, u64, usize);

/// What the hooks saw, entry by entry.
#[derive(Default)]
struct Seen {
    calls: Vec<Call>,
    /// The `before` call not yet closed by its `after`.
    open: Option<(u64, Vec<u8>, u64, usize)>,
}

impl Hooks for Seen {
    fn before(&mut self, index: u64, bytes: &[u8], ledger: &Ledger) {
        assert!(self.open.is_none(), "before {index} without an after");
        self.open = Some((
            index,
            bytes.to_vec(),
            ledger.size,
            ledger.entries_accepted(),
        ));
    }
    fn after(&mut self, index: u64, bytes: &[u8], applied: &Applied, ledger: &Ledger) {
        let (i, b, size, accepted) = self.open.take().expect("after without a before");
        assert_eq!((i, b.as_slice()), (index, bytes));
        self.calls.push((
            i,
            b,
            size,
            accepted,
            applied.clone(),
            ledger.size,
            ledger.entries_accepted(),
        ));
    }
}

#[test]
fn hooks_see_each_entry_in_order_with_the_ledger_before_and_after_it() {
    let log = log();
    let mut seq = Ledger::new();
    let mut expected = Vec::new();
    for (i, e) in log.iter().enumerate() {
        let before = (seq.size, seq.entries_accepted());
        let a = seq.apply(i as u64, e);
        expected.push((
            i as u64,
            e.clone(),
            before.0,
            before.1,
            a,
            seq.size,
            seq.entries_accepted(),
        ));
    }
    assert!(expected.iter().any(|c| matches!(c.4, Applied::Refused(_))));
    for decoders in [0, 1, 2, 3] {
        let mut ledger = Ledger::new();
        let mut seen = Seen::default();
        let fed: Result<usize, ()> = replay_hooked(
            &mut ledger,
            decoders,
            |sink| {
                for (i, e) in log.iter().enumerate() {
                    sink(i as u64, e);
                }
                Ok(log.len())
            },
            &mut seen,
        );
        assert_eq!(fed, Ok(log.len()));
        assert!(seen.open.is_none());
        assert_eq!(seen.calls.len(), expected.len(), "{decoders} decoders");
        for (got, want) in seen.calls.iter().zip(&expected) {
            assert_eq!(
                format!("{got:?}"),
                format!("{want:?}"),
                "{decoders} decoders"
            );
        }
        assert_eq!(
            format!("{:?} {:?}", ledger.counts, ledger.reports),
            format!("{:?} {:?}", seq.counts, seq.reports),
            "{decoders} decoders"
        );
    }
}
