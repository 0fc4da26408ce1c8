//! The values the query filters `agreement`, `reading` and `party` may take: what the log holds.
//! One definition for `truce incidents|findings|compliance` and `GET /v1/incidents`,
//! `/v1/findings`, `/v1/compliance` (and their exports), so a filter naming nothing in the log is
//! an error listing the valid values, never an empty answer that looks like "none".
//! The grades (`occurrence`, `standing`, `outcome`) are checked by their own parsers
//! (`truce_engine::Grade::parse` and the like), whose messages list their values.

use std::collections::BTreeSet;
use truce_model::{Id, Ledger};

/// A filter over a ledger value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// An agreement: defined by a process, or read by some party.
    Agreement,
    /// Whose reading: a party that filed a reading.
    Reading,
    /// A party: registered in the log.
    Party,
}

impl Field {
    /// The filter's name (the CLI flag without `--`, the query parameter).
    pub fn name(self) -> &'static str {
        match self {
            Field::Agreement => "agreement",
            Field::Reading => "reading",
            Field::Party => "party",
        }
    }
}

/// The known values of each filter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Known {
    /// Agreements defined by a process or with a reading.
    pub agreements: BTreeSet<Id>,
    /// Parties that filed a reading (of any agreement).
    pub readings: BTreeSet<Id>,
    /// Registered parties.
    pub parties: BTreeSet<Id>,
}

impl Known {
    /// What `ledger` holds.
    pub fn of(ledger: &Ledger) -> Known {
        let mut k = Known::default();
        for (_, _, a) in ledger.agreements() {
            k.agreements.insert(a.id);
        }
        for ((agreement, author), r) in &ledger.readings {
            if r.retracted.is_none() {
                k.agreements.insert(agreement.clone());
                k.readings.insert(author.clone());
            }
        }
        k.parties.extend(ledger.parties.keys().cloned());
        k
    }

    /// Checks a filter's value; the error names the field and lists the valid values.
    pub fn check(&self, field: Field, value: &str) -> Result<(), String> {
        let (set, what) = match field {
            Field::Agreement => (&self.agreements, "agreements"),
            Field::Reading => (&self.readings, "readings (the parties that filed one)"),
            Field::Party => (&self.parties, "parties"),
        };
        if set.iter().any(|x| x.as_str() == value) {
            return Ok(());
        }
        let valid = if set.is_empty() {
            format!(
                "the log holds no {}",
                what.split(' ').next().unwrap_or(what)
            )
        } else {
            format!(
                "{what}: {}",
                set.iter().map(Id::as_str).collect::<Vec<_>>().join(", ")
            )
        };
        Err(format!("unknown {} {value:?}; {valid}", field.name()))
    }
}
