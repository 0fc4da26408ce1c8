//! The TOML files people author and review: one file holds a `time` (when its author files it) and
//! one or more entries, each under a table named after its kind —
//! `[process]`, `[reading]`, `[[site]]`, `[[report]]`, `[[assessment]]`, `[[commitment]]`,
//! `[[fulfilment]]`, `[[statement]]`, `[[amend]]`, `[review_policy]`, `[[invocation]]`,
//! `[[extension]]`, `[[condition]]`, `[[line]]` (a version of a line of contact, reference line or
//! control area, its geometry written as a site's), `[[observation]]` (a monitor's observation
//! with the observer's exact position: restricted, filed as a public report and a restricted
//! position). Errors name the line and the reason. See
//! `scenarios/energy-moratorium-2025/` for annotated examples.

use crate::domain::*;
use crate::entry::Body;
use crate::time::Time;
use serde::Deserialize;

/// A parsed authoring file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthoredFile {
    /// When the author files these entries (the envelopes' `time`).
    pub time: Time,
    /// A process with phases and agreements.
    #[serde(default)]
    pub process: Option<Process>,
    /// A reading of an agreement.
    #[serde(default)]
    pub reading: Option<Reading>,
    /// Protected sites.
    #[serde(default)]
    pub site: Vec<Site>,
    /// Reports.
    #[serde(default)]
    pub report: Vec<Report>,
    /// Assessments.
    #[serde(default)]
    pub assessment: Vec<Assessment>,
    /// Commitments.
    #[serde(default)]
    pub commitment: Vec<Commitment>,
    /// Fulfilments.
    #[serde(default)]
    pub fulfilment: Vec<Fulfilment>,
    /// Statements.
    #[serde(default)]
    pub statement: Vec<Statement>,
    /// Corrections and retractions.
    #[serde(default)]
    pub amend: Vec<Amendment>,
    /// A mission's review policy.
    #[serde(default)]
    pub review_policy: Option<ReviewPolicy>,
    /// Invocations of release clauses.
    #[serde(default)]
    pub invocation: Vec<Invocation>,
    /// Consents to extend agreements' windows.
    #[serde(default)]
    pub extension: Vec<crate::lifecycle::Extension>,
    /// Statuses of conditions precedent.
    #[serde(default)]
    pub condition: Vec<crate::lifecycle::Condition>,
    /// Versions of lines of contact, reference lines and control areas.
    #[serde(default)]
    pub line: Vec<crate::lines::LineVersion>,
    /// A monitor's observations with the observers' exact positions (restricted): not entry
    /// bodies as they are — filing makes each a public report and a restricted position
    /// (`truce submit`, `truce demo`); [`AuthoredFile::bodies`] leaves them out.
    #[serde(default)]
    pub observation: Vec<crate::front::ObservationDraft>,
}

impl AuthoredFile {
    /// Parses a file's text. `name` is used in error messages.
    pub fn parse(name: &str, text: &str) -> Result<Self, String> {
        let f: AuthoredFile =
            toml::from_str(text).map_err(|e| format_toml_error(name, text, &e))?;
        if f.bodies().is_empty() && f.observation.is_empty() {
            return Err(format!(
                "{name}: no entries: add a [process], [reading], [[site]], [[report]], [[assessment]], [[commitment]], [[fulfilment]], [[statement]], [[amend]], [review_policy], [[invocation]], [[extension]], [[condition]], [[line]] or [[observation]] table"
            ));
        }
        Ok(f)
    }

    /// The entry bodies, in a fixed order (process, reading, sites, reports, assessments,
    /// commitments, fulfilments, statements, amendments, review policy, invocations, extensions,
    /// conditions, lines).
    pub fn bodies(&self) -> Vec<Body> {
        let mut out = Vec::new();
        out.extend(self.process.clone().map(Body::Process));
        out.extend(self.reading.clone().map(Body::Reading));
        out.extend(self.site.iter().cloned().map(Body::Site));
        out.extend(self.report.iter().cloned().map(Body::Report));
        out.extend(self.assessment.iter().cloned().map(Body::Assessment));
        out.extend(self.commitment.iter().cloned().map(Body::Commitment));
        out.extend(self.fulfilment.iter().cloned().map(Body::Fulfilment));
        out.extend(self.statement.iter().cloned().map(Body::Statement));
        out.extend(self.amend.iter().cloned().map(Body::Amend));
        out.extend(self.review_policy.clone().map(Body::ReviewPolicy));
        out.extend(self.invocation.iter().cloned().map(Body::Invocation));
        out.extend(self.extension.iter().cloned().map(Body::Extension));
        out.extend(self.condition.iter().cloned().map(Body::Condition));
        out.extend(self.line.iter().cloned().map(Body::Line));
        out
    }
}

/// Formats a TOML error as `file:line:column: message`.
pub fn format_toml_error(name: &str, text: &str, e: &toml::de::Error) -> String {
    let msg = e.message().trim().to_string();
    match e.span() {
        Some(span) => {
            let before = &text[..span.start.min(text.len())];
            let line = before.matches('\n').count() + 1;
            let col = before.len() - before.rfind('\n').map(|i| i + 1).unwrap_or(0) + 1;
            format!("{name}:{line}:{col}: {msg}")
        }
        None => format!("{name}: {msg}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const READING: &str = r#"
time = 2025-03-25T12:00:00+03:00

[reading]
agreement = "energy-moratorium-2025"
summary = "five categories, from 18 March, 30 days"

[reading.source]
title = "Kremlin statement"
date = 2025-03-25
quotes = ["oil refineries"]

[reading.terms]
prohibited_acts = ["strike"]
protected = ["set:kremlin-2025-03-25"]
bound = ["ru", "ua"]

[reading.terms.window]
start = 2025-03-18T00:00:00+03:00
duration_days = 30
extension = "by mutual agreement"
"#;

    #[test]
    fn a_reading_file_parses() {
        let f = AuthoredFile::parse("ru.toml", READING).unwrap();
        let r = f.reading.unwrap();
        assert_eq!(
            r.terms.window.effective_end().unwrap().to_string(),
            "2025-04-16T21:00:00Z"
        );
        assert_eq!(r.terms.protected.len(), 15);
    }

    #[test]
    fn extension_and_condition_files_parse() {
        let f = AuthoredFile::parse(
            "ext.toml",
            r#"time = 2025-04-15T12:00:00+03:00
[[extension]]
agreement = "energy-moratorium-2025"
until = 2025-05-17T00:00:00+03:00
note = "extended by mutual agreement"

[[condition]]
id = "rosselkhozbank-swift"
title = "Rosselkhozbank reconnected to SWIFT"
status = "unmet"
"#,
        )
        .unwrap();
        let bodies = f.bodies();
        assert_eq!(bodies.len(), 2);
        assert_eq!(bodies[0].kind().as_str(), "extension");
        assert_eq!(bodies[1].kind().as_str(), "condition");
        let bad = AuthoredFile::parse(
            "c.toml",
            "time = 2025-04-15T12:00:00Z\n[[condition]]\nid = \"x\"\ntitle = \"X\"\nstatus = \"done\"\n",
        )
        .unwrap_err();
        assert!(bad.starts_with("c.toml:5:") && bad.contains("met"), "{bad}");
        // A reading's extension rule and conditions.
        let r = READING.replace(
            "extension = \"by mutual agreement\"",
            "extension = \"by mutual agreement\"\nextension_by = [\"ru\", \"ua\"]",
        );
        let r = r.replace(
            "bound = [",
            "conditions = [\"rosselkhozbank-swift\"]\nbound = [",
        );
        let reading = AuthoredFile::parse("ru.toml", &r).unwrap().reading.unwrap();
        assert_eq!(reading.terms.conditions.len(), 1);
        assert!(matches!(
            reading.terms.window.extension_by,
            Some(ExtensionBy::Parties(ref p)) if p.len() == 2
        ));
        let any = READING.replace(
            "extension = \"by mutual agreement\"",
            "extension_by = \"any-bound-party\"",
        );
        let reading = AuthoredFile::parse("ru.toml", &any)
            .unwrap()
            .reading
            .unwrap();
        assert_eq!(
            reading.terms.window.extension_by,
            Some(ExtensionBy::Rule(ExtensionRule::AnyBoundParty))
        );
        let json = serde_json::to_value(&reading).unwrap();
        assert_eq!(json["terms"]["window"]["extension_by"], "any-bound-party");
        for bad in ["\"some\"", "[]", "[\"ru\", \"ru\"]"] {
            let t = READING.replace(
                "extension = \"by mutual agreement\"",
                &format!("extension_by = {bad}"),
            );
            let e = AuthoredFile::parse("ru.toml", &t).unwrap_err();
            assert!(e.contains("extension_by"), "{bad}: {e}");
        }
    }

    #[test]
    fn a_line_file_parses() {
        let text = r#"time = 2025-03-20T12:00:00+02:00

[[line]]
id = "loc"
title = "Line of contact (illustrative)"
kind = "contact"
valid_from = 2025-03-18T00:00:00+02:00
geometry = { type = "LineString", coordinates = [[37.5, 48.0], [37.8, 48.3], [38.0, 48.6]] }
approximate_m = 2000
source = "illustrative"

[[line.sectors]]
id = "north"
name = "North"
from_km = 0
to_km = 20.5
"#;
        let f = AuthoredFile::parse("loc.toml", text).unwrap();
        let bodies = f.bodies();
        assert_eq!(bodies.len(), 1);
        let Body::Line(l) = &bodies[0] else {
            panic!("{bodies:?}")
        };
        assert_eq!(l.kind, crate::lines::LineKind::Contact);
        assert_eq!(l.sectors[0].to_km, 20.5);
        assert_eq!(l.valid_from.to_string(), "2025-03-17T22:00:00Z");
        // A polygon filed as a contact line: the file, the line and the reason.
        let bad = text.replace(
            "geometry = { type = \"LineString\", coordinates = [[37.5, 48.0], [37.8, 48.3], [38.0, 48.6]] }",
            "geometry = { type = \"Polygon\", coordinates = [[[37.5, 48.0], [37.8, 48.3], [38.0, 48.6], [37.5, 48.0]]] }",
        );
        let e = AuthoredFile::parse("loc.toml", &bad).unwrap_err();
        assert!(
            e.starts_with("loc.toml:3:") && e.contains("not a Polygon"),
            "{e}"
        );
        let bad = text.replace("to_km = 20.5", "to_km = 900");
        let e = AuthoredFile::parse("loc.toml", &bad).unwrap_err();
        assert!(
            e.starts_with("loc.toml:") && e.contains("beyond the line's end"),
            "{e}"
        );
    }

    #[test]
    fn errors_name_file_line_and_reason() {
        let bad = READING.replace("set:kremlin-2025-03-25", "energy.oil.refinry");
        let e = AuthoredFile::parse("ru.toml", &bad).unwrap_err();
        assert!(
            e.starts_with("ru.toml:15:") && e.contains("unknown category \"energy.oil.refinry\""),
            "{e}"
        );

        let bad = READING.replace("duration_days = 30", "end = 2025-03-01T00:00:00Z");
        let e = AuthoredFile::parse("ru.toml", &bad).unwrap_err();
        assert!(
            e.starts_with("ru.toml:18:") && e.contains("precedes"),
            "{e}"
        );

        let bad = READING.replace("[reading.terms]", "[reading.terms\n");
        let e = AuthoredFile::parse("ru.toml", &bad).unwrap_err();
        assert!(e.starts_with("ru.toml:13:"), "{e}");

        let bad = READING.replace("summary =", "sumary =");
        let e = AuthoredFile::parse("ru.toml", &bad).unwrap_err();
        assert!(e.contains("sumary"), "{e}");

        let site = r#"time = 2025-03-20T00:00:00Z
[[site]]
id = "x"
name = "X"
category = "energy.gas.metering"
geometry = { type = "Point", coordinates = [35.27, 95.19] }
"#;
        let e = AuthoredFile::parse("s.toml", site).unwrap_err();
        assert!(
            e.starts_with("s.toml:6:") && e.contains("latitude 95.19"),
            "{e}"
        );
        assert!(
            AuthoredFile::parse("e.toml", "time = 2025-03-20T00:00:00Z\n")
                .unwrap_err()
                .contains("no entries")
        );
    }
}
