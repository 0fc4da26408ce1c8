// The map's front layers (issue 16): "Line of contact" (each party's line, as the chosen agreement's chosen reading names
// it, in the version in force on the slider's day — the latest for all days), "Buffer" (each party's share of the buffer on
// its own side of its own line) and "Withdrawal lines" (each withdrawal zone's line at the party's share of the zone's
// width), from /v1/front.geojson; "Observations" (the monitors' observations: the H3 cells of each public footprint,
// coloured by event type), from /v1/observations.geojson for the slider's day (or the 31 days up to the latest).
//
// The buffers and withdrawal lines are drawn within a tolerance the server states: display only; findings use exact
// distances. An observation never carries its observer's position: the popup says how far it stays hidden.
// The map container's data attributes say what is drawn (for the browser test): data-front-lines, data-front-buffers,
// data-front-withdrawal, data-front-ready, data-observations, data-observations-ready.
//
// Below the map, "Ceasefire violations by sector": the slider's day counted in the page's time zone, per sector of the
// monitors' lines, by event type, with the previous day and the change — the daily report's front section, from
// /v1/front/counts (the section's data-ready and data-total say what is shown).

import { html, esc, when, setHTML, timeZone } from './util.js';
import * as api from './api.js';

/* global L */

/** A colour per party line, in the reading's order (Okabe–Ito). */
const PARTY_COLOURS = ['#0072b2', '#d55e00', '#009e73', '#cc79a7', '#e69f00', '#56b4e9'];
/** Colours by observed event type. */
export const EVENT_COLOURS = {
  impact: '#d55e00',
  airburst: '#e69f00',
  outgoing: '#0072b2',
  bursts: '#cc79a7',
  shots: '#009e73',
  undetermined: '#7f7f7f',
};
/** Observations per answer the page asks for (the server allows 2,000). */
const OBS_LIMIT = 1000;

const fs = {
  map: null,
  el: null,
  lines: null,
  buffers: null,
  withdrawal: null,
  observations: null,
  selection: null,
  day: null,
  frontKey: null,
  frontSeq: 0,
  obsKey: null,
  obsSeq: 0,
  tolerance: null,
  notes: [],
  window: null,
  countsKey: null,
  countsSeq: 0,
};

/** Creates the layers, adds them to the map and the layers control. `day()` is the slider's day (or null),
 *  `selection()` the filters' `{agreement, reading}`. */
export function initFront(map, control, el, day, selection) {
  fs.map = map;
  fs.el = el;
  fs.day = day;
  fs.selection = selection;
  map.createPane('front').style.zIndex = 360;
  map.createPane('observations').style.zIndex = 370;
  fs.buffers = L.layerGroup().addTo(map);
  fs.withdrawal = L.layerGroup().addTo(map);
  fs.lines = L.layerGroup().addTo(map);
  fs.observations = L.layerGroup().addTo(map);
  control.addOverlay(fs.lines, 'Line of contact');
  control.addOverlay(fs.buffers, 'Buffer (display only)');
  control.addOverlay(fs.withdrawal, 'Withdrawal lines (display only)');
  control.addOverlay(fs.observations, 'Observations');
}

function ring(r) { return r.map(([lon, lat]) => [lat, lon]); }

function lineParts(g) {
  if (!g) return [];
  if (g.type === 'LineString') return [ring(g.coordinates)];
  if (g.type === 'MultiLineString' || g.type === 'Polygon') return g.coordinates.map(ring);
  return [];
}

function polygons(g) {
  if (!g) return [];
  if (g.type === 'Polygon') return [g.coordinates.map(ring)];
  if (g.type === 'MultiPolygon') return g.coordinates.map((p) => p.map(ring));
  return [];
}

function calibre(p) {
  if (p.min_calibre_mm && p.max_calibre_mm) return ` ${p.min_calibre_mm}–${p.max_calibre_mm} mm`;
  if (p.min_calibre_mm) return ` ≥ ${p.min_calibre_mm} mm`;
  if (p.max_calibre_mm) return ` ≤ ${p.max_calibre_mm} mm`;
  return '';
}

function linePopup(p) {
  return html`<b>${p.party}'s line</b>: ${p.line} (${p.title})<br>version of entry ${p.index}, valid from ${when(p.valid_from)}
    ${p.approximate_m ? html`<br>approximate: ±${p.approximate_m} m` : ''}<br>${p.party}'s side: ${p.side || 'not stated'}; share of every zone ${Math.round(p.share * 100)}%
    <br><i>${p.vertices_shown} of ${p.vertices} vertices drawn (within ${p.tolerance_m} m).</i>`;
}

function bufferPopup(p) {
  return html`<b>${p.party}'s share of the ${p.buffer_km} km buffer</b>: ${p.width_km} km on its side (${p.side}) of ${p.line}
    <br><i>Approximate: drawn within ${p.tolerance_m} m, display only; findings use exact distances.</i>`;
}

function withdrawalPopup(p) {
  return html`<b>${p.party}'s withdrawal line</b> for ${p.weapons}${calibre(p)}: ${p.distance_km} km from ${p.line} on its side (${p.side})
    (${Math.round(p.share * 100)}% of a ${p.width_km} km zone)${p.source ? html`<br>${p.source}` : ''}
    <br><i>Approximate: drawn within ${p.tolerance_m} m, display only; findings use exact distances.</i>`;
}

/** Fetches and draws the chosen reading's front for the slider's day (does nothing when nothing changed). */
export async function loadFront() {
  if (!fs.map) return;
  const { agreement, reading } = fs.selection();
  const day = fs.day();
  const params = agreement && reading ? { agreement, reading, ...(day ? { at: `${day}T23:59:59Z` } : {}) } : null;
  const key = JSON.stringify(params);
  if (key === fs.frontKey) return;
  fs.frontKey = key;
  const seq = ++fs.frontSeq;
  fs.el.dataset.frontReady = 'false';
  let doc = { features: [], notes: [] };
  if (params) {
    try {
      doc = await api.get('/v1/front.geojson', params);
    } catch (e) {
      fs.frontKey = null;
      fs.el.dataset.frontReady = 'error';
      throw e;
    }
  }
  if (seq !== fs.frontSeq) return;
  for (const g of [fs.lines, fs.buffers, fs.withdrawal]) g.clearLayers();
  const colours = new Map();
  const colour = (party) => {
    if (!colours.has(party)) colours.set(party, PARTY_COLOURS[colours.size % PARTY_COLOURS.length]);
    return colours.get(party);
  };
  const n = { line: 0, buffer: 0, 'withdrawal-line': 0 };
  for (const f of doc.features || []) {
    const p = f.properties || {};
    const c = colour(p.party);
    if (p.kind === 'line') {
      L.polyline(lineParts(f.geometry), { pane: 'front', color: c, weight: 3.5, opacity: 0.95 })
        .bindPopup(String(linePopup(p)))
        .bindTooltip(esc(`${p.party}'s line ${p.line}`))
        .addTo(fs.lines);
    } else if (p.kind === 'buffer') {
      L.polygon(polygons(f.geometry), { pane: 'front', color: c, weight: 0.5, opacity: 0.6, fillColor: c, fillOpacity: 0.12 })
        .bindPopup(String(bufferPopup(p)))
        .addTo(fs.buffers);
    } else if (p.kind === 'withdrawal-line') {
      L.polyline(lineParts(f.geometry), { pane: 'front', color: c, weight: 1.5, opacity: 0.85, dashArray: '2 5' })
        .bindPopup(String(withdrawalPopup(p)))
        .bindTooltip(esc(`${p.party}'s withdrawal line: ${p.weapons}${calibre(p)}, ${p.distance_km} km (approximate)`))
        .addTo(fs.withdrawal);
    } else {
      continue;
    }
    n[p.kind] += 1;
  }
  fs.tolerance = doc.tolerance_m || null;
  fs.notes = doc.notes || [];
  fs.el.dataset.frontLines = String(n.line);
  fs.el.dataset.frontBuffers = String(n.buffer);
  fs.el.dataset.frontWithdrawal = String(n['withdrawal-line']);
  fs.el.dataset.frontReady = 'true';
  const note = document.querySelector('.legend .front-note');
  if (note) note.textContent = frontWords();
}

function obsPopup(p) {
  const sectors = (p.sectors || []).map(([a, b]) => `${a}°–${b}°`).join(', ');
  return html`<b>${p.count} × ${p.event}</b> (${p.modality}), ${when(p.start)} – ${when(p.end)}
    <br>${Math.round(p.distance.min_m / 100) / 10}–${Math.round(p.distance.max_m / 100) / 10} km away${sectors ? `, sectors ${sectors}` : ''}
    ${p.place ? html`<br>${p.place}` : ''}<br>report ${p.author}/${p.id} (entry ${p.index})${p.incident ? html`, in incident <a href="#/incident/${encodeURIComponent(p.incident)}">${p.incident}</a>` : ''}
    <br><i>The cells hold every place the observation may refer to; the observer is hidden within ${Math.round(p.hidden_m)} m (its position is never published).</i>`;
}

/** Fetches and draws the observations of the slider's day (or the last 31 days up to the latest). */
export async function loadObservations() {
  if (!fs.map) return;
  const day = fs.day();
  const params = { limit: OBS_LIMIT, ...(day ? { from: day, to: day } : {}) };
  const key = JSON.stringify(params);
  if (key === fs.obsKey) return;
  fs.obsKey = key;
  const seq = ++fs.obsSeq;
  fs.el.dataset.observationsReady = 'false';
  let doc;
  try {
    doc = await api.get('/v1/observations.geojson', params);
  } catch (e) {
    fs.obsKey = null;
    fs.el.dataset.observationsReady = 'error';
    throw e;
  }
  if (seq !== fs.obsSeq) return;
  fs.observations.clearLayers();
  for (const f of doc.features || []) {
    const p = f.properties || {};
    const c = EVENT_COLOURS[p.event] || EVENT_COLOURS.undetermined;
    L.polygon(polygons(f.geometry), { pane: 'observations', color: c, weight: 0.8, opacity: 0.8, fillColor: c, fillOpacity: 0.25 })
      .bindPopup(String(obsPopup(p)))
      .bindTooltip(esc(`${p.count} × ${p.event} (${p.modality}), ${p.author}`))
      .addTo(fs.observations);
  }
  fs.window = doc.window || null;
  fs.el.dataset.observations = String((doc.features || []).length);
  fs.el.dataset.observationsReady = 'true';
  const note = document.querySelector('.legend .observations-window');
  if (note) note.textContent = obsWords(doc);
}

function frontWords() {
  const tol = fs.tolerance ? `Buffers and withdrawal lines are approximate: drawn within ${fs.tolerance} m, display only; findings use exact distances.` : 'Choose an agreement and a reading with front terms.';
  return fs.notes.length ? `${tol} ${fs.notes.join('; ')}` : tol;
}

function obsWords(doc) {
  if (!fs.window) return '';
  return `observations ${when(fs.window.from)} – ${when(fs.window.to)}${doc && doc.truncated ? ' (not all)' : ''}`;
}

/** The legend's front part. */
export function frontLegendHtml() {
  const events = Object.entries(EVENT_COLOURS).map(([k, v]) => html`<li><svg width="14" height="14" aria-hidden="true"><polygon points="7,1 13,4 13,10 7,13 1,10 1,4" fill="${v}" fill-opacity="0.4" stroke="${v}"/></svg> ${k}</li>`);
  return html`<div><h3>Line of contact (the chosen reading's)</h3><ul class="single">
      <li><svg width="28" height="10" aria-hidden="true"><line x1="0" y1="5" x2="28" y2="5" stroke="${PARTY_COLOURS[0]}" stroke-width="3.5"/></svg> a party's line (colour: party)</li>
      <li><svg width="28" height="10" aria-hidden="true"><rect x="0" y="0" width="28" height="10" fill="${PARTY_COLOURS[0]}" fill-opacity="0.15"/></svg> its share of the buffer, on its side</li>
      <li><svg width="28" height="10" aria-hidden="true"><line x1="0" y1="5" x2="28" y2="5" stroke="${PARTY_COLOURS[0]}" stroke-width="1.5" stroke-dasharray="2 5"/></svg> a withdrawal line</li></ul>
    <p class="meta front-note">${frontWords()}</p>
    <h3>Observations (monitors'; colour: event)</h3><ul>${events}</ul>
    <p class="meta">Each observation's public footprint: the places it may refer to. The observer's position is never shown. <span class="observations-window">${obsWords(null)}</span></p></div>`;
}

/** The zone the day is counted in: the page's (the computer's own for "local"). */
function countsZone() {
  const z = timeZone();
  return z === 'local' ? (Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC') : z;
}

function change(c) {
  if (!c.change) return '±0';
  return c.change > 0 ? `+${c.change}` : String(c.change);
}

/** The section below the map: its heading and an empty body. */
export function countsSectionHtml() {
  return html`<section class="front-counts" aria-labelledby="counts-title" data-ready="false">
  <h2 id="counts-title">Ceasefire violations by sector</h2>
  <div class="counts-body"><p class="meta">Loading…</p></div>
</section>`;
}

/** Fetches and shows the slider's day's violations per sector (does nothing when neither the day nor the zone changed). */
export async function loadCounts() {
  const box = document.querySelector('.front-counts');
  if (!box) return;
  const body = box.querySelector('.counts-body');
  const day = fs.day ? fs.day() : null;
  const tz = countsZone();
  const key = JSON.stringify([day, tz]);
  if (key === fs.countsKey) return;
  fs.countsKey = key;
  const seq = ++fs.countsSeq;
  box.dataset.ready = 'false';
  if (!day) {
    setHTML(body, html`<p class="meta">Choose a day on the slider: its monitors' observations are counted per sector of their lines, as in the daily report.</p>`);
    box.dataset.total = '';
    box.dataset.ready = 'true';
    return;
  }
  let doc;
  try {
    doc = await api.get('/v1/front/counts', { date: day, tz });
  } catch (e) {
    fs.countsKey = null;
    box.dataset.ready = 'error';
    throw e;
  }
  if (seq !== fs.countsSeq) return;
  const f = doc.front;
  if (!f) {
    setHTML(body, html`<p class="meta">Nothing to count on ${day} (${tz}): no monitor line with sectors in force and no observation that day or the day before.</p>`);
    box.dataset.total = '0';
    box.dataset.ready = 'true';
    return;
  }
  const events = f.events || [];
  const row = (r, total) => html`<tr class="${total ? 'total' : ''}"><th scope="row">${r.name}${r.sector ? html` <span class="meta">(${r.sector})</span>` : ''}</th>
    <td>${r.incidents.day}</td>${events.map((e) => {
      const c = (r.events || []).find((x) => x.label === e) || { day: 0 };
      return html`<td>${c.day}</td>`;
    })}<td><b>${r.total.day}</b></td><td>${r.total.previous}</td><td>${change(r.total)}</td></tr>`;
  const listed = (f.incidents || []).map((i) => html`<li><a href="#/incident/${encodeURIComponent(i.id)}">${i.id.slice(0, 12)}</a> ${i.sector_name}: ${(i.events || []).map((e) => `${e.count} ${e.label}`).join(', ')}
    <span class="meta">(largest of ${i.observations.map((o) => `${o.count} ${o.modality} by ${o.author}`).join('; ')})</span></li>`);
  setHTML(body, html`<p class="meta">${day}, counted in ${tz}. Only monitors' observations count, never allegations; within one incident each event type counts its largest observation, never the sum. As of log size ${doc.log_size}, ${doc.rules}.</p>
  <div class="table-wrap"><table class="counts">
    <thead><tr><th scope="col">Sector</th><th scope="col">Incidents</th>${events.map((e) => html`<th scope="col">${e}</th>`)}<th scope="col">Total</th><th scope="col">Previous day</th><th scope="col">Change</th></tr></thead>
    <tbody>${(f.sectors || []).map((r) => row(r, false))}${row(f.total, true)}</tbody>
  </table></div>
  ${listed.length ? html`<details><summary>${f.incidents_total} incident${f.incidents_total === 1 ? '' : 's'} with observations</summary><ul class="counts-incidents">${listed}</ul></details>` : ''}
  ${f.weapons_total ? html`<p>${f.weapons_total} weapons sighting${f.weapons_total === 1 ? '' : 's'}; ${f.restrictions_total} restriction${f.restrictions_total === 1 ? '' : 's'} of movement (the daily report lists them).</p>` : ''}`);
  box.dataset.total = String(f.total.total.day);
  box.dataset.ready = 'true';
}
