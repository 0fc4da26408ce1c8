//! Incremental judgement: random interleavings of appends — detections near hot spots and
//! sites (some flagged static sources), allegations by the parties (admitted, relayed, imprecise,
//! broad), monitors' reports, revisions and retractions, assessments, invocations of a release
//! clause, new reading versions, phase statuses, review policies and sites, reports of vessels
//! (attacked, used, moving; named or matched by track, some outside a confinement zone) —
//! applied as deltas
//! one by one and in random batches. After every apply the incremental judgement's JSON is
//! byte-identical to `judge` of the same snapshot, and that snapshot is the one the log's
//! contents give.

mod common;

use common::{id, reading, site, t};
use proptest::prelude::*;
use std::collections::BTreeMap;
use truce_engine::baseline::BaselineParams;
use truce_engine::input::{
    AssessmentIn, EndIn, InvocationIn, Maritime, PolicyIn, ReadingIn, ReportIn, ReportVesselIn,
    SiteIn, TrackIn, VesselClass, VesselIn,
};
use truce_engine::{judge, Delta, Incremental, Params, Snapshot};
use truce_model::domain::{Act, Question, Role, Verdict, VesselRef};
use truce_model::taxonomy::Category;
use truce_model::Id;

/// Hot spots (sites): two 5 km apart, one further off.
const SPOTS: [[f64; 2]; 3] = [[35.10, 51.07], [35.16, 51.10], [35.40, 50.95]];
const M_PER_DEG: f64 = 111_195.0;

fn t0() -> i64 {
    t("2025-03-20T00:00:00Z")
}

fn at(spot: usize, dx: i16, dy: i16) -> [f64; 2] {
    let [lon, lat] = SPOTS[spot % SPOTS.len()];
    let (dn, de) = (f64::from(dy) * 40.0, f64::from(dx) * 40.0);
    [
        lon + de / (M_PER_DEG * lat.to_radians().cos()),
        lat + dn / M_PER_DEG,
    ]
}

/// One append to the log.
#[derive(Debug, Clone)]
enum Op {
    /// A FIRMS detection near a spot on a day, at a pass.
    Detect {
        spot: usize,
        dx: i16,
        dy: i16,
        day: u8,
        pass: u8,
        static_source: bool,
    },
    /// A report by a party, a monitor or a mediator relaying a party's (or the press agency's)
    /// claim.
    Allege {
        by: u8,
        spot: usize,
        dx: i16,
        dy: i16,
        day: u8,
        hour: u8,
        unc: u8,
        long: bool,
        admit: bool,
        act: u8,
        target: bool,
    },
    /// A correction of a report: a new revision at a new index, moved in time and space.
    Revise { which: usize, dday: i8, dx: i16 },
    /// A retraction.
    Retract { which: usize },
    /// A monitor's assessment of a report.
    Assess {
        which: usize,
        attribution: bool,
        party: bool,
        verdict: u8,
        officer: u8,
    },
    /// An invocation of the release clause citing a report.
    Invoke { by: bool, which: usize, day: u8 },
    /// A new version of a reading.
    Reading { variant: u8 },
    /// A phase lapses or collapses.
    End { day: u8, collapse: bool },
    /// A review policy.
    Policy { quorum: u8 },
    /// A site listed.
    Site { spot: usize, dx: i16 },
    /// A retraction of an assessment or invocation (the last one).
    Withdraw { invocation: bool },
    /// The press agency registers (with a role), or its role changes.
    Register { role: u8 },
    /// A report of a vessel: attacked, used for military purposes or seen; naming a vessel (by
    /// MMSI, by name, an unknown one) or none (then matched by track).
    Ship {
        by: u8,
        spot: usize,
        dx: i16,
        dy: i16,
        day: u8,
        hour: u8,
        act: u8,
        named: u8,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        12 => (0..3usize, -15i16..15, -15i16..15, 0u8..30, 0u8..4, prop::bool::weighted(0.05)).prop_map(
            |(spot, dx, dy, day, pass, static_source)| Op::Detect { spot, dx, dy, day, pass, static_source }
        ),
        5 => (0u8..6, 0..3usize, -40i16..40, -40i16..40, 0u8..30, 0u8..24, 0u8..4, prop::bool::weighted(0.1),
              prop::bool::weighted(0.15), 0u8..4, any::<bool>()).prop_map(
            |(by, spot, dx, dy, day, hour, unc, long, admit, act, target)| Op::Allege {
                by, spot, dx, dy, day, hour, unc, long, admit, act, target
            }
        ),
        2 => (any::<usize>(), -3i8..3, -20i16..20).prop_map(|(which, dday, dx)| Op::Revise { which, dday, dx }),
        2 => any::<usize>().prop_map(|which| Op::Retract { which }),
        3 => (any::<usize>(), any::<bool>(), any::<bool>(), 0u8..3, 0u8..3).prop_map(
            |(which, attribution, party, verdict, officer)| Op::Assess { which, attribution, party, verdict, officer }
        ),
        2 => (any::<bool>(), any::<usize>(), 0u8..30).prop_map(|(by, which, day)| Op::Invoke { by, which, day }),
        1 => (0u8..4).prop_map(|variant| Op::Reading { variant }),
        1 => (0u8..40, any::<bool>()).prop_map(|(day, collapse)| Op::End { day, collapse }),
        1 => (1u8..3).prop_map(|quorum| Op::Policy { quorum }),
        1 => (0..3usize, -30i16..30).prop_map(|(spot, dx)| Op::Site { spot, dx }),
        1 => any::<bool>().prop_map(|invocation| Op::Withdraw { invocation }),
        1 => (0u8..4).prop_map(|role| Op::Register { role }),
        3 => (0u8..3, 0..3usize, -40i16..40, -40i16..40, 0u8..8, 0u8..24, 0u8..3, 0u8..4).prop_map(
            |(by, spot, dx, dy, day, hour, act, named)| Op::Ship { by, spot, dx, dy, day, hour, act, named }
        ),
    ]
}

/// What the log holds, as a ledger would fold it.
struct Model {
    next: u64,
    reports: BTreeMap<(Id, Id), ReportIn>,
    /// Every report key ever filed, to pick from.
    keys: Vec<(Id, Id)>,
    assessments: Vec<(AssessmentIn, (Id, Id))>,
    invocations: Vec<(InvocationIn, (Id, Id))>,
    readings: Vec<ReadingIn>,
    sites: Vec<SiteIn>,
    policies: Vec<PolicyIn>,
    ends: BTreeMap<Id, Vec<EndIn>>,
    roles: BTreeMap<Id, Role>,
    /// Changes of reports since the last delta, in log order.
    changed: Vec<((Id, Id), Option<ReportIn>)>,
    n: u64,
    /// What reports of vessels name, and whether they are inspections, by report key.
    named: BTreeMap<(Id, Id), (Option<VesselRef>, bool)>,
}

/// Two vessels (a bulk carrier, a warship) and their tracks: each passes by the spots in the
/// first days, points every 20 minutes, with a gap of 3 hours each day.
fn maritime() -> Maritime {
    let track = |index: u64, mmsi: &str, spot: usize| {
        let mut points = Vec::new();
        for k in 0..(8 * 72) {
            if k % 72 >= 60 && k % 72 < 69 {
                continue;
            }
            let t = t0() + k * 1_200;
            let phase = (k % 72) as i16 - 30;
            points.push((t, at(spot, phase * 4, phase)));
        }
        TrackIn {
            index,
            mmsi: mmsi.into(),
            points,
        }
    };
    Maritime {
        gaps: Vec::new(),
        vessels: vec![
            VesselIn {
                index: 6,
                mmsi: Some("273345000".into()),
                imo: Some("9074729".into()),
                name: Some("Ocean Star".into()),
                class: VesselClass::Commercial,
            },
            VesselIn {
                index: 7,
                mmsi: Some("273000001".into()),
                imo: None,
                name: Some("Admiral X".into()),
                class: VesselClass::Military,
            },
        ],
        tracks: vec![track(8, "273345000", 0), track(9, "273000001", 1)],
        reports: Vec::new(),
    }
}

const AGREEMENT: &str = "energy-moratorium-2025";

fn ru_reading(index: u64, variant: u8) -> ReadingIn {
    let release = match variant % 3 {
        0 => {
            r#"release = [{ kind = "violation-frees-other-side", text = "a violation frees the other side", qualifying = "corroborated" }]"#
        }
        1 => {
            r#"release = [{ kind = "violation-frees-other-side", text = "frees", automatic = true }]"#
        }
        _ => r#"release = [{ kind = "violation-frees-other-side", text = "frees" }]"#,
    };
    let mut rd = reading(
        index,
        "ru",
        &format!(
            "prohibited_acts = [\"strike\", \"sabotage\"]\nprotected = [\"energy.*\"]\nbound = [\"ru\", \"ua\"]\n{release}\nwindow = {{ start = 2025-03-18T00:00:00Z, duration_days = 30 }}"
        ),
    );
    if index > 1 {
        rd.filed = t0() + 10 * 86_400;
        rd.effective = t0() + i64::from(variant) * 86_400;
    }
    rd
}

fn ua_reading(index: u64, variant: u8) -> ReadingIn {
    let mut rd = reading(
        index,
        "ua",
        &format!(
            "prohibited_acts = [\"strike\", \"attack-on-vessels\", \"military-use-of-vessel\"]\nprotected = [\"energy.power.*\", \"set:black-sea-navigation\"]\nbound = [\"ru\", \"ua\"]\nconfined = [{{ category = \"vessel.military\", party = \"ru\", zone = {{ name = \"east\", polygon = [[[35.15, 51.0], [35.3, 51.0], [35.3, 51.2], [35.15, 51.2], [35.15, 51.0]]] }} }}]\nwindow = {{ start = 2025-03-{:02}T00:00:00Z, duration_days = {} }}",
            18 + variant % 8,
            20 + variant
        ),
    );
    if index > 2 {
        rd.filed = t0() + 5 * 86_400;
        rd.effective = t0() + i64::from(variant % 5) * 86_400;
    }
    rd
}

impl Model {
    fn new() -> Model {
        let roles = [
            ("firms", Role::OpenData),
            ("ua", Role::Belligerent),
            ("ru", Role::Belligerent),
            ("osce", Role::Monitor),
            ("un", Role::Mediator),
        ]
        .into_iter()
        .map(|(p, r)| (id(p), r))
        .collect();
        let mut sites = vec![
            site(3, "ua", "plant", "energy.power.plant", SPOTS[0], 0),
            site(4, "ru", "refinery", "energy.oil.refinery", SPOTS[1], 200),
        ];
        // Listed part-way through: protects only from then.
        let mut late = site(
            5,
            "ua",
            "substation",
            "energy.power.substation",
            SPOTS[2],
            0,
        );
        late.filed = t0() + 12 * 86_400;
        late.effective = late.filed;
        sites.push(late);
        Model {
            next: 10,
            reports: BTreeMap::new(),
            keys: Vec::new(),
            assessments: Vec::new(),
            invocations: Vec::new(),
            readings: vec![ru_reading(1, 0), ua_reading(2, 0)],
            sites,
            policies: Vec::new(),
            ends: BTreeMap::new(),
            roles,
            changed: Vec::new(),
            n: 0,
            named: BTreeMap::new(),
        }
    }

    fn index(&mut self) -> u64 {
        self.next += 1;
        self.next
    }

    fn put(&mut self, r: ReportIn) {
        let key = (r.author.id().clone(), r.id.clone());
        if !self.reports.contains_key(&key) {
            self.keys.push(key.clone());
        }
        self.reports.insert(key.clone(), r.clone());
        self.changed.push((key, Some(r)));
    }

    fn pick(&self, which: usize) -> Option<(Id, Id)> {
        if self.keys.is_empty() {
            return None;
        }
        Some(self.keys[which % self.keys.len()].clone())
    }

    fn apply(&mut self, op: &Op) {
        match *op {
            Op::Detect {
                spot,
                dx,
                dy,
                day,
                pass,
                static_source,
            } => {
                let index = self.index();
                self.n += 1;
                let time = t0()
                    + i64::from(day) * 86_400
                    + [5_400, 41_400, 44_400, 8_400][pass as usize % 4]
                    + i64::from(dx.unsigned_abs() % 7) * 60;
                self.put(ReportIn {
                    index,
                    entry_id: format!("{index:064x}").parse().unwrap(),
                    author: id("firms").into(),
                    role: Role::OpenData,
                    id: id(&format!("d{}", self.n)),
                    act: Act::FireObserved,
                    perpetrator: None,
                    relays: None,
                    denies: Vec::new().into(),
                    point: at(spot, dx, dy),
                    uncertainty_m: 375,
                    start: time,
                    end: time,
                    target: None,
                    static_source,
                });
            }
            Op::Allege {
                by,
                spot,
                dx,
                dy,
                day,
                hour,
                unc,
                long,
                admit,
                act,
                target,
            } => {
                let index = self.index();
                self.n += 1;
                let (author, role, perp, relays) = match by {
                    0 => (
                        "ua",
                        Role::Belligerent,
                        Some(if admit { "ua" } else { "ru" }),
                        None,
                    ),
                    1 => (
                        "ru",
                        Role::Belligerent,
                        Some(if admit { "ru" } else { "ua" }),
                        None,
                    ),
                    2 => ("osce", Role::Monitor, None, None),
                    3 => ("un", Role::Mediator, Some("ru"), Some("ua")),
                    4 => ("un", Role::Mediator, Some("ru"), Some("press")),
                    _ => ("un", Role::Mediator, Some("ru"), None),
                };
                let start = t0() + i64::from(day) * 86_400 + i64::from(hour) * 3_600;
                let end = start + if long { 8 * 86_400 } else { 3_600 };
                let act = [
                    Act::DroneStrike,
                    Act::MissileStrike,
                    Act::Sabotage,
                    Act::FireObserved,
                ][act as usize % 4];
                self.put(ReportIn {
                    index,
                    entry_id: format!("{index:064x}").parse().unwrap(),
                    author: id(author).into(),
                    role,
                    id: id(&format!("r{}", self.n)),
                    act,
                    perpetrator: perp.map(id).map(Into::into),
                    relays: relays.map(id).map(Into::into),
                    denies: if admit && by == 1 {
                        Vec::new().into()
                    } else if by == 1 && dx % 3 == 0 {
                        vec![id("ru")].into()
                    } else {
                        Vec::new().into()
                    },
                    point: at(spot, dx, dy),
                    uncertainty_m: [300, 2_000, 20_000, 30_000][unc as usize % 4],
                    start,
                    end,
                    target: target
                        .then(|| Category::new("energy.power.substation").expect("a category")),
                    static_source: false,
                });
            }
            Op::Ship {
                by,
                spot,
                dx,
                dy,
                day,
                hour,
                act,
                named,
            } => {
                let index = self.index();
                self.n += 1;
                let (author, role, perp) = match by {
                    0 => ("ua", Role::Belligerent, "ru"),
                    1 => ("ru", Role::Belligerent, "ua"),
                    _ => ("osce", Role::Monitor, "ru"),
                };
                let start = t0() + i64::from(day) * 86_400 + i64::from(hour) * 3_600;
                let key = (id(author), id(&format!("s{}", self.n)));
                let vessel = match named {
                    0 => VesselRef::new(Some("273345000".into()), None, None).ok(),
                    1 => VesselRef::new(None, None, Some("admiral x".into())).ok(),
                    2 => VesselRef::new(Some("111111111".into()), None, None).ok(),
                    _ => None,
                };
                let act = [
                    Act::AttackOnVessels,
                    Act::MilitaryUseOfVessel,
                    Act::VesselMovement,
                ][act as usize % 3];
                let inspection = by == 2 && act == Act::MilitaryUseOfVessel;
                if vessel.is_some() || inspection {
                    self.named.insert(key.clone(), (vessel, inspection));
                }
                self.put(ReportIn {
                    index,
                    entry_id: format!("{index:064x}").parse().unwrap(),
                    author: id(author).into(),
                    role,
                    id: key.1.clone(),
                    act,
                    perpetrator: Some(id(perp).into()),
                    relays: None,
                    denies: Vec::new().into(),
                    point: at(spot, dx * 20, dy * 20),
                    uncertainty_m: [300, 2_000][usize::from(hour % 2)],
                    start,
                    end: start + 600,
                    target: None,
                    static_source: false,
                });
            }
            Op::Revise { which, dday, dx } => {
                let Some(key) = self.pick(which) else { return };
                let Some(mut r) = self.reports.get(&key).cloned() else {
                    return;
                };
                let index = self.index();
                r.index = index;
                r.entry_id = format!("{index:064x}").parse().unwrap();
                r.start += i64::from(dday) * 86_400;
                r.end += i64::from(dday) * 86_400;
                r.point[0] += f64::from(dx) * 40.0 / (M_PER_DEG * 0.63);
                self.put(r);
            }
            Op::Retract { which } => {
                let Some(key) = self.pick(which) else { return };
                self.index();
                if self.reports.remove(&key).is_some() {
                    self.changed.push((key, None));
                }
            }
            Op::Assess {
                which,
                attribution,
                party,
                verdict,
                officer,
            } => {
                let Some(key) = self.pick(which) else { return };
                let index = self.index();
                let p = if party { "ru" } else { "ua" };
                let verdict = [Verdict::Verified, Verdict::Dismissed, Verdict::Unverifiable]
                    [verdict as usize % 3];
                self.assessments.push((
                    AssessmentIn {
                        index,
                        entry_id: format!("{index:064x}"),
                        author: id("osce"),
                        key: format!("k{officer}"),
                        question: if attribution {
                            Question::Attribution
                        } else {
                            Question::Occurrence
                        },
                        party: attribution.then(|| id(p)),
                        reports: Vec::new(),
                        verdict,
                        text: format!("{verdict:?}"),
                    },
                    key,
                ));
            }
            Op::Invoke { by, which, day } => {
                let Some(key) = self.pick(which) else { return };
                let index = self.index();
                let (author, against) = if by { ("ru", "ua") } else { ("ua", "ru") };
                self.invocations.push((
                    InvocationIn {
                        index,
                        author: id(author),
                        time: t0() + i64::from(day) * 86_400,
                        agreement: id(AGREEMENT),
                        against: id(against),
                        reports: Vec::new(),
                    },
                    key,
                ));
            }
            Op::Reading { variant } => {
                let index = self.index();
                let rd = if variant % 2 == 0 {
                    ru_reading(index, variant / 2)
                } else {
                    ua_reading(index, variant)
                };
                self.readings.push(rd);
                self.readings.sort_by(|a, b| {
                    (&a.reading.agreement, &a.author, a.index).cmp(&(
                        &b.reading.agreement,
                        &b.author,
                        b.index,
                    ))
                });
            }
            Op::End { day, collapse } => {
                let index = self.index();
                let v = self.ends.entry(id(AGREEMENT)).or_default();
                v.push(EndIn {
                    at: t0() + i64::from(day) * 86_400,
                    index,
                    phase: id("phase-1"),
                    status: if collapse { "collapsed" } else { "lapsed" }.to_string(),
                });
                v.sort_by_key(|e| (e.at, e.index));
            }
            Op::Policy { quorum } => {
                let index = self.index();
                self.policies.push(PolicyIn {
                    index,
                    quorum: u32::from(quorum),
                });
            }
            Op::Site { spot, dx } => {
                let index = self.index();
                let mut s = site(
                    index,
                    "ua",
                    &format!("site-{index}"),
                    "energy.power.substation",
                    at(spot, dx, 0),
                    300,
                );
                s.filed = t0() + 3 * 86_400;
                s.effective = t0();
                self.sites.push(s);
            }
            Op::Register { role } => {
                self.index();
                match role {
                    0 => self.roles.insert(id("press"), Role::OpenData),
                    1 => self.roles.insert(id("press"), Role::Monitor),
                    2 => self.roles.insert(id("press"), Role::Belligerent),
                    _ => self.roles.remove(&id("press")),
                };
            }
            Op::Withdraw { invocation } => {
                self.index();
                if invocation {
                    self.invocations.pop();
                } else {
                    self.assessments.pop();
                }
            }
        }
    }

    /// The current revision's entry id of a report key, if not retracted.
    fn current(&self, key: &(Id, Id)) -> Option<String> {
        self.reports.get(key).map(|r| r.entry_id.to_string())
    }

    fn snapshot(&self) -> Snapshot {
        let mut reports: Vec<ReportIn> = self.reports.values().cloned().collect();
        reports.sort_by_key(|r| r.index);
        Snapshot {
            log_size: self.next + 1,
            reports,
            sites: self.sites.clone(),
            readings: self.readings.clone(),
            assessments: self
                .assessments
                .iter()
                .map(|(a, key)| AssessmentIn {
                    reports: self.current(key).into_iter().collect(),
                    ..a.clone()
                })
                .collect(),
            policies: self.policies.clone(),
            invocations: self
                .invocations
                .iter()
                .map(|(v, key)| InvocationIn {
                    reports: self.current(key).into_iter().collect(),
                    ..v.clone()
                })
                .collect(),
            roles: self.roles.clone(),
            zones: BTreeMap::new(),
            ends: self.ends.clone(),
            extensions: Vec::new(),
            conditions: Vec::new(),
            maritime: Maritime {
                gaps: Vec::new(),
                reports: {
                    let mut v: Vec<ReportVesselIn> = self
                        .named
                        .iter()
                        .filter_map(|(key, (vessel, inspection))| {
                            let r = self.reports.get(key)?;
                            Some(ReportVesselIn {
                                index: r.index,
                                author: key.0.clone(),
                                id: key.1.clone(),
                                vessel: vessel.clone(),
                                inspection: *inspection,
                            })
                        })
                        .collect();
                    v.sort_by_key(|r| r.index);
                    v
                },
                ..maritime()
            },
            front: Default::default(),
        }
    }

    /// What the log appended since `before`, as a delta.
    fn delta(&mut self, before: &Snapshot, resend: bool) -> (Delta, Snapshot) {
        let now = self.snapshot();
        fn changed<T: Clone + PartialEq>(a: &T, b: &T, resend: bool) -> Option<T> {
            (resend || a != b).then(|| b.clone())
        }
        let d = Delta {
            log_size: now.log_size,
            reports: std::mem::take(&mut self.changed),
            assessments: changed(&before.assessments, &now.assessments, resend),
            policies: changed(&before.policies, &now.policies, resend),
            invocations: changed(&before.invocations, &now.invocations, resend),
            sites: changed(&before.sites, &now.sites, resend),
            readings: changed(&before.readings, &now.readings, resend),
            roles: changed(&before.roles, &now.roles, resend),
            zones: None,
            ends: changed(&before.ends, &now.ends, resend),
            extensions: None,
            conditions: None,
            maritime: changed(&before.maritime, &now.maritime, resend),
            front: changed(&before.front, &now.front, resend),
        };
        (d, now)
    }
}

fn params() -> Params {
    Params {
        // Cells turn routine after a few days, so appends make them turn and turn back.
        baseline: BaselineParams {
            cell_m: 750.0,
            min_days: 3,
            min_span_days: 4,
        },
        ..Params::default()
    }
}

/// A judgement's JSON, then its background detections in full, read from the snapshot judged
/// (so a reference that resolves to another report, or to none, shows).
fn bytes(j: &truce_engine::Judgement, s: &Snapshot) -> Vec<u8> {
    let mut out = serde_json::to_vec(j).expect("a judgement serialises");
    out.push(b'\n');
    let full: Vec<truce_engine::Background> = j.background_full(s).collect();
    assert_eq!(
        full.len(),
        j.background.len(),
        "every background reference resolves"
    );
    out.extend(serde_json::to_vec(&full).expect("background serialises"));
    out
}

/// Runs `ops`: the first `initial` folded into the snapshot `Incremental::new` starts from, the
/// rest applied in batches of the given sizes; checks every state against a full judgement.
fn check(initial: usize, ops: &[Op], batches: &[usize], p: &Params) -> Result<(), TestCaseError> {
    let mut m = Model::new();
    for o in &ops[..initial.min(ops.len())] {
        m.apply(o);
    }
    m.changed.clear();
    let mut snap = m.snapshot();
    let mut inc = Incremental::new(snap.clone(), p.clone());
    prop_assert_eq!(
        bytes(inc.judgement(), inc.snapshot()),
        bytes(&judge(&snap, p), &snap),
        "after new"
    );
    let mut rest = &ops[initial.min(ops.len())..];
    let mut b = batches.iter().cycle();
    let mut step = 0;
    while !rest.is_empty() {
        let n = (*b.next().unwrap_or(&1)).clamp(1, rest.len());
        for o in &rest[..n] {
            m.apply(o);
        }
        rest = &rest[n..];
        step += 1;
        let (d, now) = m.delta(&snap, step % 5 == 0);
        let rj = inc.apply(d);
        prop_assert!(
            inc.snapshot() == &now,
            "step {}: the snapshots differ",
            step
        );
        let want = judge(&now, p);
        let got = inc.judgement();
        if bytes(got, inc.snapshot()) != bytes(&want, &now) {
            // Say where they part.
            prop_assert_eq!(
                &got.baseline,
                &want.baseline,
                "step {} baseline ({:?})",
                step,
                rj
            );
            prop_assert_eq!(
                got.incidents.len(),
                want.incidents.len(),
                "step {} incidents ({:?})",
                step,
                rj
            );
            for (g, w) in got.incidents.iter().zip(&want.incidents) {
                prop_assert_eq!(g, w, "step {} incident ({:?})", step, rj);
            }
            prop_assert_eq!(
                got.background_full(inc.snapshot()).collect::<Vec<_>>(),
                want.background_full(&now).collect::<Vec<_>>(),
                "step {} background ({:?})",
                step,
                rj
            );
            prop_assert_eq!(
                got.findings.len(),
                want.findings.len(),
                "step {} findings ({:?})",
                step,
                rj
            );
            for (g, w) in got.findings.iter().zip(&want.findings) {
                prop_assert_eq!(g, w, "step {} finding ({:?})", step, rj);
            }
            prop_assert!(false, "step {}: the judgements differ ({:?})", step, rj);
        }
        snap = now;
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Appends one at a time and in batches, from an empty or a populated start.
    #[test]
    fn incremental_equals_full(
        ops in prop::collection::vec(op(), 1..70),
        initial in 0usize..30,
        batches in prop::collection::vec(1usize..6, 1..4),
    ) {
        check(initial, &ops, &batches, &params())?;
    }

    /// The default rules' parameters (hot spots need ten days over three weeks).
    #[test]
    fn incremental_equals_full_default_params(
        ops in prop::collection::vec(op(), 1..50),
        batches in prop::collection::vec(1usize..4, 1..3),
    ) {
        check(0, &ops, &batches, &Params::default())?;
    }
}

/// A flare turns routine as its days accumulate, then an allegation at it pulls detections out
/// of the baseline: every step equals a full judgement.
#[test]
fn a_flare_turns_routine_and_back() {
    let p = params();
    let mut ops = Vec::new();
    for day in 0..8u8 {
        for pass in 0..2u8 {
            ops.push(Op::Detect {
                spot: 1,
                dx: i16::from(day % 3),
                dy: 0,
                day: day * 2,
                pass,
                static_source: false,
            });
        }
    }
    for day in [2u8, 6, 10] {
        ops.push(Op::Allege {
            by: 0,
            spot: 1,
            dx: 0,
            dy: 0,
            day: day * 2,
            hour: 1,
            unc: 0,
            long: false,
            admit: false,
            act: 0,
            target: true,
        });
    }
    ops.push(Op::Retract { which: 16 });
    ops.push(Op::Assess {
        which: 17,
        attribution: true,
        party: true,
        verdict: 0,
        officer: 0,
    });
    ops.push(Op::Invoke {
        by: true,
        which: 17,
        day: 20,
    });
    let r = check(0, &ops, &[1], &p);
    assert!(r.is_ok(), "{r:?}");
    let r = check(5, &ops, &[3, 1, 2], &p);
    assert!(r.is_ok(), "{r:?}");
}

/// What `Rejudged` says: a new allegation re-judges its neighbourhood only; a reading re-judges
/// everything.
#[test]
fn rejudged_says_what_was_rejudged() {
    let p = params();
    let mut m = Model::new();
    for k in 0..40i16 {
        m.apply(&Op::Detect {
            spot: (k % 3) as usize,
            dx: k,
            dy: -k,
            day: (k % 30) as u8,
            pass: (k % 2) as u8,
            static_source: false,
        });
    }
    m.changed.clear();
    let snap = m.snapshot();
    let mut inc = Incremental::new(snap.clone(), p.clone());
    m.apply(&Op::Allege {
        by: 0,
        spot: 0,
        dx: 0,
        dy: 0,
        day: 0,
        hour: 1,
        unc: 0,
        long: false,
        admit: false,
        act: 0,
        target: false,
    });
    let (d, now) = m.delta(&snap, false);
    let rj = inc.apply(d);
    assert_eq!(rj.full, None);
    assert_eq!(rj.reports_changed, 1);
    assert!(rj.reclustered >= 1 && rj.reclustered < 41, "{rj:?}");
    assert_eq!(
        bytes(inc.judgement(), inc.snapshot()),
        bytes(&judge(&now, &p), &now)
    );
    m.apply(&Op::Reading { variant: 1 });
    let (d, now) = m.delta(&now, false);
    let rj = inc.apply(d);
    assert_eq!(rj.full.as_deref(), Some("a reading changed"));
    assert_eq!(
        bytes(inc.judgement(), inc.snapshot()),
        bytes(&judge(&now, &p), &now)
    );
    // A report filed out of log order (before the last index held): judged in full, in place.
    let mut r = now.reports[3].clone();
    r.index = 2;
    r.entry_id = format!("{:064x}", 2).parse().unwrap();
    r.id = id("early");
    m.put(r);
    let (d, now) = m.delta(&now, false);
    let rj = inc.apply(d);
    assert_eq!(rj.full.as_deref(), Some("a report filed out of log order"));
    assert!(inc.snapshot() == &now);
    assert_eq!(
        bytes(inc.judgement(), inc.snapshot()),
        bytes(&judge(&now, &p), &now)
    );
    // A retraction and a role alone: local.
    m.apply(&Op::Retract { which: 5 });
    m.apply(&Op::Register { role: 1 });
    let (d, now) = m.delta(&now, false);
    let rj = inc.apply(d);
    assert_eq!(rj.full, None);
    assert_eq!(
        bytes(inc.judgement(), inc.snapshot()),
        bytes(&judge(&now, &p), &now)
    );
}
