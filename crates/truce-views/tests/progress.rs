//! A computation of the views reports the replay's progress (entries done of the total, at the
//! start, every `PROGRESS_EVERY` entries and at the end), then the judging: enough for the CLI to
//! show `truce rebuild`'s rate and time left on a large log.

use truce_store::sqlite::SqliteStorage;
use truce_store::{LogReader, Sequencer};
use truce_views::derived::{self, Progress, PROGRESS_EVERY};

#[test]
fn a_replay_reports_entries_done_of_the_total() {
    let dir = tempfile::tempdir().unwrap();
    let key = truce_log::key_from_seed("progress.test.example/log", [7u8; 32]).unwrap();
    let db = dir.path().join("truce.db");
    let mut seq = Sequencer::create(
        SqliteStorage::open(&db, true).unwrap(),
        "progress.test.example/log",
        &key.signer,
    )
    .unwrap();
    // 10,000 raw entries (no domain effect) in a few batches.
    let n = 2 * PROGRESS_EVERY + 1808;
    let lines: Vec<Vec<u8>> = (0..n)
        .map(|i| format!("raw line {i}").into_bytes())
        .collect();
    for chunk in lines.chunks(2500) {
        let refs: Vec<&[u8]> = chunk.iter().map(Vec::as_slice).collect();
        seq.append(&refs).unwrap();
    }
    let reader = LogReader::open(SqliteStorage::open(&db, false).unwrap()).unwrap();
    let mut events = Vec::new();
    let (j, stamp) = derived::judge(&reader, &mut |p| events.push(p)).unwrap();
    assert_eq!(stamp.log_size, n);
    assert!(j.incidents.is_empty());
    assert_eq!(
        events,
        [
            Progress::Replaying { done: 0, total: n },
            Progress::Replaying {
                done: PROGRESS_EVERY,
                total: n
            },
            Progress::Replaying {
                done: 2 * PROGRESS_EVERY,
                total: n
            },
            Progress::Replaying { done: n, total: n },
            Progress::Judging { reports: 0 },
            Progress::Judged,
        ]
    );
    // An earlier size: the total is that size.
    let mut events = Vec::new();
    derived::judge_at(&reader, 100, &mut |p| events.push(p)).unwrap();
    assert_eq!(
        events[..2],
        [
            Progress::Replaying {
                done: 0,
                total: 100
            },
            Progress::Replaying {
                done: 100,
                total: 100
            }
        ]
    );
}
