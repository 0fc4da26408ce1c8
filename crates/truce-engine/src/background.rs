//! Background detections read back from the snapshot judged. A [`Judgement`] holds each as a
//! [`BackgroundRef`] (its start, log index and routine description: 24 bytes); its full form, a
//! [`Background`] (the day and the detection as an incident's member), is made on demand from
//! the report the snapshot holds — the same values [`judge`](crate::judge) would have written
//! out, without a million of them held at once.
//!
//! [`Judged`] keeps a judgement with its snapshot, for the callers that store or count the
//! background after judging.

use std::collections::HashMap;

use crate::incidents::origin_of;
use crate::input::ReportIn;
use crate::types::{Background, BackgroundRef, Judgement, Member};
use crate::{Params, Snapshot};

/// A background detection read from its snapshot: its report and routine description. Borrowed,
/// so counting a million of them allocates nothing per detection;
/// [`BackgroundView::full`] makes the published form.
#[derive(Debug, Clone, Copy)]
pub struct BackgroundView<'a> {
    /// The detection.
    pub report: &'a ReportIn,
    /// Its routine description, when at a persistent hot spot.
    pub routine: Option<&'a str>,
    snap: &'a Snapshot,
}

impl BackgroundView<'_> {
    /// The origin of its claim (`sensor:<id>`): [`Member::side`].
    pub fn side(&self) -> String {
        origin_of(self.snap, self.report)
    }

    /// The UTC day of its start (`YYYY-MM-DD`): [`Background::day`].
    pub fn day(&self) -> String {
        let t = crate::utc(self.report.start);
        match t.get(..10) {
            Some(d) => d.to_string(),
            None => t,
        }
    }

    /// The detection in full, as the judgement publishes it.
    pub fn full(&self) -> Background {
        let r = self.report;
        Background {
            day: self.day(),
            detection: Member {
                index: r.index,
                entry_id: r.entry_id.to_string(),
                author: r.author.id().clone(),
                role: r.role,
                id: r.id.clone(),
                act: r.act,
                perpetrator: r.perpetrator.as_ref().map(|p| p.id().clone()),
                relays: r.relays.as_ref().map(|p| p.id().clone()),
                point: r.point,
                uncertainty_m: r.uncertainty_m,
                start: crate::utc(r.start),
                end: crate::utc(r.end),
                side: self.side(),
                routine: self.routine.map(str::to_string),
                // Background detections are sensors' detections, never observations.
                observed: None,
            },
        }
    }
}

/// Finds the report a [`BackgroundRef`] names in a snapshot's reports: by binary search from the
/// last one found when the reports are in log order (as every snapshot of a log is; background
/// detections in start order then mostly sit close together), else through a map built once.
pub(crate) struct Locator<'a> {
    reports: &'a [ReportIn],
    hint: usize,
    map: Option<HashMap<(u64, u32), usize>>,
}

impl<'a> Locator<'a> {
    pub(crate) fn new(reports: &'a [ReportIn]) -> Locator<'a> {
        let sorted = reports.windows(2).all(|w| w[0].index <= w[1].index);
        let map = (!sorted).then(|| {
            let mut seen: HashMap<u64, u32> = HashMap::new();
            reports
                .iter()
                .enumerate()
                .map(|(i, r)| {
                    let n = seen.entry(r.index).or_default();
                    let key = (r.index, *n);
                    *n += 1;
                    (key, i)
                })
                .collect()
        });
        Locator {
            reports,
            hint: 0,
            map,
        }
    }

    /// The position of the report `b` names in `reports`, found on its own: by binary search
    /// (exact for reports in log order, as every snapshot of a log is), else, when the search
    /// misses, by a scan (a snapshot out of log order).
    pub(crate) fn find_one(reports: &[ReportIn], b: &BackgroundRef) -> Option<usize> {
        let hit = |at: usize| {
            reports
                .get(at)
                .is_some_and(|r| r.index == b.index && r.start == b.start)
        };
        let at = reports.partition_point(|r| r.index < b.index) + b.nth as usize;
        if hit(at) {
            return Some(at);
        }
        let at = reports
            .iter()
            .enumerate()
            .filter(|(_, r)| r.index == b.index)
            .nth(b.nth as usize)?
            .0;
        hit(at).then_some(at)
    }

    /// The position of the report `b` names, if the snapshot holds it.
    pub(crate) fn find(&mut self, b: &BackgroundRef) -> Option<usize> {
        let at = match &self.map {
            Some(m) => *m.get(&(b.index, b.nth))?,
            None => first_of(self.reports, b.index, self.hint) + b.nth as usize,
        };
        let r = self.reports.get(at)?;
        if r.index != b.index || r.start != b.start {
            return None;
        }
        self.hint = at;
        Some(at)
    }
}

/// The first position of a report of log index `index` (or where it would be) in reports in log
/// order, galloping from `hint`.
fn first_of(reports: &[ReportIn], index: u64, hint: usize) -> usize {
    let n = reports.len();
    if n == 0 {
        return 0;
    }
    let h = hint.min(n - 1);
    let (lo, hi) = if reports[h].index < index {
        let (mut lo, mut step) = (h + 1, 1usize);
        loop {
            let probe = h.saturating_add(step);
            if probe >= n {
                break (lo, n);
            }
            if reports[probe].index >= index {
                break (lo, probe);
            }
            lo = probe + 1;
            step = step.saturating_mul(2);
        }
    } else {
        let (mut hi, mut step) = (h, 1usize);
        loop {
            if step > h {
                break (0, hi);
            }
            let probe = h - step;
            if reports[probe].index < index {
                break (probe + 1, hi);
            }
            hi = probe;
            step = step.saturating_mul(2);
        }
    };
    lo + reports[lo..hi].partition_point(|r| r.index < index)
}

/// Which of the reports of its log index the report at `pos` is: how many before it in
/// `reports` share its index ([`BackgroundRef::nth`]). `sorted`: the reports are in log order.
pub(crate) fn nth_at(reports: &[ReportIn], pos: usize, sorted: bool) -> u32 {
    let index = reports[pos].index;
    let before = &reports[..pos];
    let n = if sorted {
        before.iter().rev().take_while(|r| r.index == index).count()
    } else {
        before.iter().filter(|r| r.index == index).count()
    };
    u32::try_from(n).unwrap_or(u32::MAX)
}

impl Judgement {
    /// The background detections as views of their reports in `snap`, the snapshot judged, in
    /// the judgement's order. A reference `snap` does not hold (another snapshot) is left out.
    pub fn background_views<'a>(
        &'a self,
        snap: &'a Snapshot,
    ) -> impl Iterator<Item = BackgroundView<'a>> + 'a {
        let mut at = Locator::new(&snap.reports);
        self.background.iter().filter_map(move |b| {
            let i = at.find(b)?;
            Some(BackgroundView {
                report: &snap.reports[i],
                routine: self.routine(b),
                snap,
            })
        })
    }

    /// The background detections in full ([`Background`]), made one at a time from `snap`, the
    /// snapshot judged, in the judgement's order (by start, then log index).
    pub fn background_full<'a>(
        &'a self,
        snap: &'a Snapshot,
    ) -> impl Iterator<Item = Background> + 'a {
        self.background_views(snap).map(|v| v.full())
    }

    /// The background detections in full, in log order (by log index, then `nth`) rather than
    /// the judgement's: the order of a table keyed by log index, written at its end
    /// ([`Judgement::background_views_by_index`]).
    pub fn background_by_index<'a>(
        &'a self,
        snap: &'a Snapshot,
    ) -> impl Iterator<Item = Background> + 'a {
        self.background_views_by_index(snap).map(|v| v.full())
    }

    /// [`Judgement::background_views`] in log order (by log index, then `nth`). Sorts 8 bytes
    /// per detection, then walks the snapshot once.
    pub fn background_views_by_index<'a>(
        &'a self,
        snap: &'a Snapshot,
    ) -> impl Iterator<Item = BackgroundView<'a>> + 'a {
        let mut order: Vec<u32> = (0..self.background.len())
            .map(|k| u32::try_from(k).unwrap_or(u32::MAX))
            .collect();
        order.sort_unstable_by_key(|&k| {
            let b = &self.background[k as usize];
            (b.index, b.nth)
        });
        let mut at = Locator::new(&snap.reports);
        order.into_iter().filter_map(move |k| {
            let b = self.background.get(k as usize)?;
            let i = at.find(b)?;
            Some(BackgroundView {
                report: &snap.reports[i],
                routine: self.routine(b),
                snap,
            })
        })
    }

    /// One background detection in full: the `k`-th of [`Judgement::background`], read from
    /// `snap` ([`Judgement::background_view_at`]).
    pub fn background_at(&self, snap: &Snapshot, k: usize) -> Option<Background> {
        self.background_view_at(snap, k).map(|v| v.full())
    }

    /// The `k`-th of [`Judgement::background`] as a view of its report in `snap` (found by
    /// binary search: reading them all this way costs a search each, where
    /// [`Judgement::background_views`] and [`Judgement::background_views_by_index`] walk).
    pub fn background_view_at<'a>(
        &'a self,
        snap: &'a Snapshot,
        k: usize,
    ) -> Option<BackgroundView<'a>> {
        let b = self.background.get(k)?;
        let i = Locator::find_one(&snap.reports, b)?;
        Some(BackgroundView {
            report: &snap.reports[i],
            routine: self.routine(b),
            snap,
        })
    }
}

/// A judgement with the snapshot it judged, which its background detections are read from. It
/// dereferences to the [`Judgement`].
#[derive(Debug, Clone)]
pub struct Judged {
    /// The snapshot judged.
    pub snapshot: Snapshot,
    /// Its judgement.
    pub judgement: Judgement,
}

impl Judged {
    /// Judges `snapshot` ([`judge`](crate::judge)) and keeps it.
    pub fn new(snapshot: Snapshot, p: &Params) -> Judged {
        let judgement = crate::judge(&snapshot, p);
        Judged {
            snapshot,
            judgement,
        }
    }

    /// The background detections as views of their reports
    /// ([`Judgement::background_views`]).
    pub fn background_views(&self) -> impl Iterator<Item = BackgroundView<'_>> + '_ {
        self.judgement.background_views(&self.snapshot)
    }

    /// The background detections in full ([`Judgement::background_full`]).
    pub fn background_full(&self) -> impl Iterator<Item = Background> + '_ {
        self.judgement.background_full(&self.snapshot)
    }
}

impl std::ops::Deref for Judged {
    type Target = Judgement;
    fn deref(&self) -> &Judgement {
        &self.judgement
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use truce_model::domain::{Act, Role};
    use truce_model::Id;

    fn report(index: u64) -> ReportIn {
        ReportIn {
            index,
            entry_id: crate::input::EntryId([0; 32]),
            author: Id::new("firms").unwrap().into(),
            role: Role::OpenData,
            id: Id::new("d").unwrap(),
            act: Act::FireObserved,
            perpetrator: None,
            relays: None,
            denies: Box::default(),
            point: [0.0, 0.0],
            uncertainty_m: 375,
            start: index as i64,
            end: index as i64,
            target: None,
            static_source: false,
        }
    }

    #[test]
    fn galloping_from_any_hint_finds_the_first_of_an_index() {
        // Indices with gaps and runs: 0, 2, 2, 2, 5, 7, 7, 9, ...
        let idx: Vec<u64> = (0..300u64)
            .flat_map(|k| std::iter::repeat_n(k * 2 + k % 3, (k % 4) as usize))
            .collect();
        let reports: Vec<ReportIn> = idx.iter().map(|&i| report(i)).collect();
        for want in 0..=idx.last().copied().unwrap_or(0) + 2 {
            let first = reports.partition_point(|r| r.index < want);
            for hint in [
                0,
                1,
                first,
                first.saturating_sub(1),
                first + 3,
                reports.len() - 1,
                reports.len() + 5,
            ] {
                assert_eq!(
                    first_of(&reports, want, hint),
                    first,
                    "index {want} from {hint}"
                );
            }
        }
        assert_eq!(first_of(&[], 3, 0), 0);
    }

    #[test]
    fn nth_counts_the_reports_of_an_index_before_it() {
        let reports: Vec<ReportIn> = [1, 2, 2, 2, 3].into_iter().map(report).collect();
        let got: Vec<u32> = (0..5).map(|p| nth_at(&reports, p, true)).collect();
        assert_eq!(got, [0, 0, 1, 2, 0]);
        let shuffled: Vec<ReportIn> = [2, 1, 2, 3, 2].into_iter().map(report).collect();
        let got: Vec<u32> = (0..5).map(|p| nth_at(&shuffled, p, false)).collect();
        assert_eq!(got, [0, 0, 1, 0, 2]);
    }
}
