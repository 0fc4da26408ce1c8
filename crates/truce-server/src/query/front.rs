//! `GET /v1/front.geojson` and `GET /v1/observations.geojson`: the line of contact on a map —
//! each party's line, its share of the buffer and its withdrawal lines as a reading's
//! `[terms.front]` states them, drawn within a stated tolerance (display only) — and the
//! monitors' observations as their public footprints (issue 16). The queries and documents are
//! `truce_views::query::front`'s; the drawn zones are kept in the state's
//! [`DisplayCache`](truce_views::query::front::DisplayCache), drawn once per (line version,
//! distance, tolerance). `GET /v1/front/counts`: a day's ceasefire violations per sector, the
//! daily report's front section ([`truce_report::front::section_of`]) over the live judgement.

use super::*;
use axum::extract::State;
use truce_views::query::front::{
    front_plan, observations_geojson, with_incidents, FrontQuery, ObservationQuery, FRONT_PARAMS,
    OBSERVATION_PARAMS,
};

/// The stack of the thread drawing a front's zones.
const DRAW_STACK: usize = 64 << 20;

/// `GET /v1/front.geojson`.
#[utoipa::path(get, path = "/v1/front.geojson", tag = "ledger",
    summary = "A reading's line of contact: each party's line in force, its share of the buffer and its withdrawal lines (display only)",
    description = "For the version of `reading`'s reading of `agreement` in force at `at` (the latest without it) and its `[terms.front]`: per party line, the line's version in force at `at` (`kind: \"line\"`, simplified within the tolerance; properties party, line, entry, index, valid_from, approximate_m, side, share), the party's share of the buffer on its own side (`kind: \"buffer\"`, MultiPolygon; buffer_km, width_km) and each withdrawal zone's line at the party's share of its width (`kind: \"withdrawal-line\"`, MultiLineString; weapons, min/max_calibre_mm, width_km, distance_km). Zones are drawn within `tolerance_m` and say `display: \"display only; findings use exact distances\"`. The collection says the reading version, `notes` (a line not in force, a reading without front terms…), `truncated` (at most 75,000 positions) and `log_size`. Zones are kept in memory per (line version, distance, tolerance): the first request for a large line may take seconds.",
    params(
        ("agreement" = String, Query, description = "The agreement (an unknown one is a 400 listing the valid values)"),
        ("reading" = String, Query, description = "Whose reading (a party that filed a reading of the agreement)"),
        ("at" = Option<String>, Query, description = "RFC 3339: the reading's and the lines' versions in force then (the latest without it)"),
        ("tolerance_m" = Option<f64>, Query, description = "Display tolerance, metres (10–10000; default 200)")),
    responses((status = 200, description = "A GeoJSON FeatureCollection", content_type = "application/geo+json", body = Object), (status = 400, description = "A parameter is malformed, unknown or names nothing in the log (`field` names it)", body = crate::openapi::ErrorBody)),
    security((), ("bearer" = [])))]
pub(crate) async fn front(
    State(s): State<AppState>,
    caller: Caller,
    q: RawQuery,
) -> Result<Response, ApiError> {
    let p = params(q, FRONT_PARAMS)?;
    let body = blocking(move || {
        // Read under the ledger's lock, draw without it.
        let (plan, log_size) = {
            let l = ledger(&s);
            let f = FrontQuery::parse(&p, &l)?;
            (front_plan(&l, &f), l.size)
        };
        // Drawn on a thread of its own with a deep stack: drawing a 37,000-vertex zig-zag line
        // overflowed a 2 MiB stack (a blocking thread's) in a debug build.
        let mut v = std::thread::scope(|sc| {
            std::thread::Builder::new()
                .name("front-draw".into())
                .stack_size(DRAW_STACK)
                .spawn_scoped(sc, || plan.render(&s.0.front))
                .map_err(ApiError::internal)?
                .join()
                .map_err(|_| ApiError::internal("drawing the front's zones panicked"))
        })?;
        if let Value::Object(m) = &mut v {
            m.insert("log_size".into(), json!(log_size));
        }
        Ok(v.to_string())
    })
    .await?;
    Ok(typed(body, GEOJSON, &caller))
}

/// `GET /v1/observations.geojson`.
#[utoipa::path(get, path = "/v1/observations.geojson", tag = "ledger",
    summary = "The monitors' observations over a time window, each as the MultiPolygon of its public footprint's H3 cells",
    description = "Observations (reports with an `observation`) whose start lies in the window, in log order. Properties: author, id, index, start, end, act, modality, event, count, distance {min_m, max_m}, sectors, hidden_m (the observer is hidden within it), cells, resolution, place, text, and incident (the incident it is in, from the judgement the server holds; absent while it is being rebuilt). Never the observer's position (the log holds only its salted commitment, left out here too). The collection says `window`, `matched`, `truncated` (at most `limit` features and 8,000 cells) and `log_size`. Without `from`/`to`: the 31 days up to the latest observation.",
    params(
        ("from" = Option<String>, Query, description = "Start: a UTC day YYYY-MM-DD or an RFC 3339 time (`to` − 31 days without it)"),
        ("to" = Option<String>, Query, description = "End (a day: its end), at most 31 days after `from`"),
        crate::openapi::BboxParam,
        ("limit" = Option<usize>, Query, description = "Features at most (default 500, at most 2000)")),
    responses((status = 200, description = "A GeoJSON FeatureCollection", content_type = "application/geo+json", body = Object), (status = 400, description = "A parameter is malformed or unknown (`field` names it)", body = crate::openapi::ErrorBody)),
    security((), ("bearer" = [])))]
pub(crate) async fn observations(
    State(s): State<AppState>,
    caller: Caller,
    q: RawQuery,
) -> Result<Response, ApiError> {
    let p = params(q, OBSERVATION_PARAMS)?;
    let f = ObservationQuery::parse(&p)?;
    // The incidents come from the live judgement: brought up to date first when it can be (the
    // features are served without incidents when it cannot).
    if let Err(e) = s.0.views.current(&s).await {
        tracing::debug!("observations served without incidents: {e:?}");
    }
    let body = blocking(move || {
        let (mut v, size) = {
            let l = ledger(&s);
            (observations_geojson(&l, &f), l.size)
        };
        if let Value::Object(m) = &mut v {
            m.insert("log_size".into(), json!(size));
        }
        // The incidents, from the live judgement (taken after the ledger's lock is released).
        s.0.views
            .with_live(|lv| with_incidents(&mut v, &lv.judgement().incidents));
        Ok(v.to_string())
    })
    .await?;
    Ok(typed(body, GEOJSON, &caller))
}

/// The parameters of `GET /v1/front/counts`.
const COUNTS_PARAMS: &[&str] = &["date", "tz", "cutoff"];

/// `GET /v1/front/counts`.
#[utoipa::path(get, path = "/v1/front/counts", tag = "ledger",
    summary = "A day's ceasefire violations along the line of contact, per sector: the daily report's front section",
    description = "The monitors' observations of the day counted per sector of the monitors' lines, by event type and by modality, with the previous day's counts (within one incident each event type counts its largest observation, never the sum); the day's incidents with observations and their individual figures, the weapons seen with each front reading's finding, and the restrictions of the monitors' movement. Exactly the `front` section `truce report daily --json` and a `report.daily` publication hold for the same day, zone and cut-off, computed over the current judgement (`log_size`). `front` is null when the log holds no monitor line with sectors and no observation, or the day and the one before have nothing to count.",
    params(
        ("date" = String, Query, description = "The day, YYYY-MM-DD"),
        ("tz" = Option<String>, Query, description = "The time zone the day is counted in: an IANA name (`Europe/Kyiv`) or `UTC` (default)"),
        ("cutoff" = Option<String>, Query, description = "An evening cut-off `HH:MM`: the day runs from the previous day's cut-off to its own")),
    responses((status = 200, description = "{date, tz, cutoff?, rules, log_size, front}", body = Object), (status = 400, description = "A parameter is malformed or unknown (`field` names it)", body = crate::openapi::ErrorBody), (status = 503, description = "The judgement is being rebuilt: retry after `Retry-After`", body = crate::openapi::ErrorBody)),
    security((), ("bearer" = [])))]
pub(crate) async fn counts(
    State(s): State<AppState>,
    caller: Caller,
    q: RawQuery,
) -> Result<Response, ApiError> {
    let p = params(q, COUNTS_PARAMS)?;
    let date = p
        .get("date")
        .ok_or_else(|| bad("date", "needed: the day to count, YYYY-MM-DD"))?;
    let day = crate::publication::day_of(date, p.get("tz").unwrap_or("UTC"), p.get("cutoff"))?;
    s.0.views.current(&s).await?;
    let body = blocking(move || {
        // The ledger's lock is released before the live judgement's is taken (the recompute
        // takes them in the other order).
        let notes = {
            let l = ledger(&s);
            let mut held = s.0.front_notes.lock().unwrap_or_else(|p| p.into_inner());
            match held.as_ref() {
                Some((size, n)) if *size == l.size => n.clone(),
                _ => {
                    let n = std::sync::Arc::new(truce_report::front::FrontNotes::of(&l));
                    *held = Some((l.size, n.clone()));
                    n
                }
            }
        };
        let (front, log_size) = s
            .0
            .views
            .with_live(|lv| {
                (
                    truce_report::front::section_of(lv.judgement(), lv.snapshot(), &day, &notes),
                    lv.stamp().log_size,
                )
            })
            .ok_or_else(|| {
                ApiError::unavailable("the judgement is being rebuilt; retry shortly")
            })?;
        let mut doc = serde_json::Map::new();
        doc.insert("date".into(), json!(day.date()));
        doc.insert("tz".into(), json!(day.tz()));
        if let Some(c) = day.cutoff() {
            doc.insert("cutoff".into(), json!(c));
        }
        doc.insert("rules".into(), json!(truce_engine::RULES_VERSION));
        doc.insert("log_size".into(), json!(log_size));
        doc.insert("front".into(), json!(front));
        Ok(Value::Object(doc).to_string())
    })
    .await?;
    Ok(typed(body, "application/json", &caller))
}
