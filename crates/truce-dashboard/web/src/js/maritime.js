// The map's maritime layers: "Maritime zones" (each Black Sea reading's zones and confined zones, from the agreements API),
// "Ports" (sites with a `transport.port*` category), "Vessel tracks" (AIS from /v1/ais/tracks.geojson for the map's view,
// zoom and the day slider's day — or, for all days, the last day with tracks —, coloured by declared class), and the
// tracks of the vessels an open incident lists (±6 h around its start). AIS is self-declared: the legend says so.
//
// Every request is bounded by the server (a window of at most 31 days, at most 2,000 tracks and 75,000 points, simplified
// for the zoom). The map container's data attributes say what is drawn (for the browser test): data-maritime-zones,
// data-ports, data-tracks, data-tracks-ready, data-vessel-tracks.

import { html, esc, when } from './util.js';
import * as api from './api.js';
import { agreements, agreement } from './data.js';

/* global L */

/** Colours by declared class (Okabe–Ito, distinct from the zones' blue). */
export const CLASS_COLOURS = {
  commercial: '#009e73',
  military: '#d55e00',
  'law-enforcement': '#cc79a7',
  unknown: '#7f7f7f',
};
/** Hours either side of an incident's start for its vessels' tracks. */
const AROUND_H = 6;
/** Tracks per answer the page asks for (the server allows 2,000). */
const TRACK_LIMIT = 1000;

const ms = {
  map: null,
  el: null,
  zones: null,
  ports: null,
  tracks: null,
  vessels: null,
  key: '',
  seq: 0,
  window: null, // the last tracks answer's window
  truncated: false,
  zoneCount: 0,
};

/** Whether an agreement is about the Black Sea (its id or title says so). */
function maritime(a) {
  return /black.?sea|maritime/i.test(`${a.id} ${a.title || ''}`);
}

/** Creates the layers, adds them to the map and the layers control; `day()` is the slider's day (or null). */
export function initMaritime(map, control, el, day) {
  ms.map = map;
  ms.el = el;
  map.createPane('tracks').style.zIndex = 380;
  ms.zones = L.layerGroup().addTo(map);
  ms.ports = L.layerGroup().addTo(map);
  ms.tracks = L.layerGroup().addTo(map);
  ms.vessels = L.layerGroup().addTo(map);
  control.addOverlay(ms.zones, 'Maritime zones');
  control.addOverlay(ms.ports, 'Ports');
  control.addOverlay(ms.tracks, 'Vessel tracks (AIS)');
  map.on('overlayadd', (e) => { if (e.layer === ms.tracks) { ms.key = ''; loadTracks(day()).catch(() => {}); } });
}

function ring(r) { return r.map(([lon, lat]) => [lat, lon]); }

/** Draws every Black Sea reading's zones (dashed) and confined zones (solid, thicker). */
export async function loadMaritimeZones() {
  ms.zones.clearLayers();
  let n = 0;
  for (const a of (await agreements()).filter(maritime)) {
    const doc = await agreement(a.id);
    for (const r of doc.readings || []) {
      const terms = r.reading.terms || {};
      for (const z of terms.zones || []) {
        L.polygon((z.polygon || []).map(ring), { pane: 'zones', color: '#0072b2', weight: 1.5, dashArray: '6 4', fill: false, interactive: true })
          .bindTooltip(esc(`${r.author}'s reading of ${a.title || a.id}: zone ${z.name}`))
          .addTo(ms.zones);
        n += 1;
      }
      for (const c of terms.confined || []) {
        L.polygon((c.zone.polygon || []).map(ring), { pane: 'zones', color: '#56b4e9', weight: 2.5, fillOpacity: 0.05 })
          .bindTooltip(esc(`${r.author}'s reading of ${a.title || a.id}: ${c.party}'s ${c.category} vessels must stay inside ${c.zone.name}`))
          .addTo(ms.zones);
        n += 1;
      }
    }
  }
  ms.zoneCount = n;
  ms.el.dataset.maritimeZones = String(n);
}

/** Draws the ports among `sites` (the `/v1/sites` items): a ring marker each. */
export function drawPorts(sites) {
  ms.ports.clearLayers();
  let n = 0;
  for (const s of sites) {
    const site = s.site;
    if (!String(site.category).startsWith('transport.port') || site.geometry.type !== 'Point') continue;
    const [lon, lat] = site.geometry.coordinates;
    L.circleMarker([lat, lon], { pane: 'tracks', radius: 7, color: '#0072b2', weight: 2, fillColor: '#ffffff', fillOpacity: 0.9 })
      .bindTooltip(esc(`Port: ${site.name} (${site.category}), listed by ${s.author}`))
      .addTo(ms.ports);
    n += 1;
  }
  ms.el.dataset.ports = String(n);
}

function popup(p) {
  return html`<b>${p.name || 'no declared name'}</b><br>MMSI ${p.mmsi}${p.imo ? `, IMO ${p.imo}` : ''}<br>class: ${p.class} (declared ship type ${p.ship_type ?? 'none'})<br>
    ${when(p.first)} – ${when(p.last)}<br>${p.points} of ${p.points_total} points drawn${p.flags && p.flags.jumps ? `; ${p.flags.jumps} impossible jump(s) flagged` : ''}<br>
    <i>AIS is self-declared: what the transmitter says.</i>`;
}

function lines(geometry) {
  const g = geometry || {};
  if (g.type === 'LineString') return [ring(g.coordinates)];
  if (g.type === 'MultiLineString') return g.coordinates.map(ring);
  return [];
}

/** Fetches and draws the tracks in view for `day` (YYYY-MM-DD, or null: the last day with tracks). */
export async function loadTracks(day) {
  if (!ms.map || !ms.map.hasLayer(ms.tracks)) { ms.el.dataset.tracksReady = 'true'; return; }
  const b = ms.map.getBounds();
  const c = (v, lo, hi) => Math.min(hi, Math.max(lo, v)).toFixed(4);
  const params = {
    bbox: [c(b.getWest(), -180, 180), c(b.getSouth(), -90, 90), c(b.getEast(), -180, 180), c(b.getNorth(), -90, 90)].join(','),
    zoom: Math.min(18, Math.max(0, Math.round(ms.map.getZoom()))),
    limit: TRACK_LIMIT,
    ...(day ? { from: day, to: day } : {}),
  };
  const key = JSON.stringify(params);
  if (key === ms.key) return;
  ms.key = key;
  const seq = ++ms.seq;
  ms.el.dataset.tracksReady = 'false';
  let doc;
  try {
    doc = await api.get('/v1/ais/tracks.geojson', params);
  } catch (e) {
    ms.key = '';
    ms.el.dataset.tracksReady = 'error';
    throw e;
  }
  if (seq !== ms.seq) return;
  ms.tracks.clearLayers();
  for (const f of doc.features || []) {
    const p = f.properties || {};
    L.polyline(lines(f.geometry), { pane: 'tracks', color: CLASS_COLOURS[p.class] || CLASS_COLOURS.unknown, weight: 2, opacity: 0.8 })
      .bindPopup(String(popup(p)))
      .bindTooltip(esc(`${p.name || 'MMSI ' + p.mmsi} (${p.class}), AIS`))
      .addTo(ms.tracks);
  }
  ms.window = doc.window;
  ms.truncated = Boolean(doc.truncated);
  ms.el.dataset.tracks = String((doc.features || []).length);
  ms.el.dataset.tracksReady = 'true';
  const note = document.querySelector('.legend .tracks-window');
  if (note) note.textContent = windowWords();
}

function windowWords() {
  if (!ms.window) return 'no AIS track in the log';
  return `tracks ${when(ms.window.from)} – ${when(ms.window.to)}${ms.truncated ? ' (not all: zoom in)' : ''}`;
}

/** The legend's maritime part. */
export function legendHtml() {
  const classes = Object.entries(CLASS_COLOURS).map(([k, v]) => html`<li><svg width="28" height="10" aria-hidden="true"><line x1="0" y1="5" x2="28" y2="5" stroke="${v}" stroke-width="3"/></svg> ${k}</li>`);
  return html`<div><h3>Vessel tracks (AIS; colour: declared class)</h3><ul>${classes}</ul>
    <p class="meta">AIS is self-declared: an MMSI names a transmitter; names, IMO numbers and ship types are what it says. A track may be switched off or spoofed. <span class="tracks-window">${windowWords()}</span></p>
    <h3>Maritime zones and ports</h3><ul class="single">
      <li><svg width="28" height="10" aria-hidden="true"><line x1="0" y1="5" x2="28" y2="5" stroke="#0072b2" stroke-width="2" stroke-dasharray="6 4"/></svg> a Black Sea reading's zone</li>
      <li><svg width="28" height="10" aria-hidden="true"><line x1="0" y1="5" x2="28" y2="5" stroke="#56b4e9" stroke-width="3"/></svg> a confined zone (a party's vessels must stay inside)</li>
      <li><svg width="14" height="14" aria-hidden="true"><circle cx="7" cy="7" r="5" fill="#fff" stroke="#0072b2" stroke-width="2"/></svg> port</li></ul></div>`;
}

/** The vessels an incident lists: a list for its panel (name, MMSI, IMO, class, how matched), and each one's track
 *  ±6 h around the incident's start drawn on the map (its line in the panel says what was drawn). */
export function vesselsHtml(inc) {
  const vs = inc.vessels || [];
  if (!vs.length) return '';
  return html`<h3>Vessels</h3>
    <p class="meta">Matched to the incident's reports. AIS is self-declared: names, IMO numbers and classes are what the transmitters say.</p>
    <ul class="vessels">${vs.map((v) => html`<li class="vessel" data-mmsi="${v.mmsi || ''}" data-class="${v.class}">
      <p><b>${v.name || 'no name'}</b> — MMSI ${v.mmsi || 'unknown'}${v.imo ? `, IMO ${v.imo}` : ''}, class <b>${v.class}</b></p>
      <p class="meta">how matched: ${v.how}; report ${v.report}</p>
      <p class="meta vessel-track">${v.mmsi ? `track ±${AROUND_H} h: loading…` : 'no MMSI: no track to draw'}</p></li>`)}</ul>`;
}

/** Draws the tracks of `inc`'s vessels ±6 h around its start, and says in `panel` what was drawn. */
export async function drawIncidentVessels(inc, panel) {
  ms.vessels.clearLayers();
  if (!ms.el) return;
  delete ms.el.dataset.vesselTracks;
  const mmsis = [...new Set((inc && inc.vessels || []).map((v) => v.mmsi).filter(Boolean))];
  if (!mmsis.length) return;
  const doc = await api.get('/v1/ais/tracks.geojson', { mmsi: mmsis.join(','), at: inc.start, hours: AROUND_H, tolerance_m: 20 });
  const byMmsi = new Map((doc.features || []).map((f) => [String(f.properties.mmsi), f]));
  for (const f of doc.features || []) {
    const p = f.properties;
    L.polyline(lines(f.geometry), { pane: 'tracks', color: CLASS_COLOURS[p.class] || CLASS_COLOURS.unknown, weight: 5, opacity: 0.9, dashArray: '8 4' })
      .bindPopup(String(popup(p)))
      .addTo(ms.vessels);
  }
  for (const li of panel.querySelectorAll('li.vessel[data-mmsi]')) {
    const f = byMmsi.get(li.dataset.mmsi);
    const line = li.querySelector('.vessel-track');
    if (!line || !li.dataset.mmsi) continue;
    if (f) {
      const p = f.properties;
      line.dataset.drawn = 'true';
      line.textContent = `track drawn on the map (dashed): ${when(p.first)} – ${when(p.last)}, ${p.points_total} position(s) within ±${AROUND_H} h of the incident's start`;
    } else {
      line.dataset.drawn = 'false';
      line.textContent = `no AIS track within ±${AROUND_H} h of the incident's start (dark, out of range, or not filed)`;
    }
  }
  ms.el.dataset.vesselTracks = String((doc.features || []).length);
}

/** The open incident closed: its vessels' tracks go. */
export function clearIncidentVessels() {
  if (ms.vessels) ms.vessels.clearLayers();
  if (ms.el) delete ms.el.dataset.vesselTracks;
}

