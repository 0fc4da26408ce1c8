// The map view: filters, day slider and timeline (per UTC day, from /v1/map/days), the Leaflet map (offline base map from basemap.js: recognised boundaries, disputed areas hatched, first-level regions, towns; the incidents in view from /v1/map/cells — cells sized by count and coloured by their most common occurrence grade, or, when the server lists them, each incident's symbol coloured by occurrence grade and shaped by the outcome under the chosen reading, a breach's outline saying its standing; background detections as a density layer; sites, readings' zones; maritime zones, ports and AIS vessel tracks from maritime.js; the chosen reading's line of contact, buffer and withdrawal lines and the monitors' observations from front.js), the legend (occurrence vs attribution vs standing), the accessible incident list and the incident panel.
//
// The page never downloads an unbounded list: every request for the map is bounded by the server (at most 4,096 cells,
// individual incidents only when at most `threshold` are in view), whatever the size of the log.

import { $, html, raw, esc, setHTML, announce, OCCURRENCE, ATTRIBUTION, STANDINGS, OUTCOMES, ACTS, symbol, gradeBadge, outcomeBadge, siteStyle, daysBetween, when, wordsOf, debounce, tileCount, compactCount } from './util.js';
import * as api from './api.js';
import { agreements, agreement, parties } from './data.js';
import { renderIncident } from './incident.js';
import { loadBaseMap, PATTERN_DEFS } from './basemap.js';
import { initMaritime, loadMaritimeZones, drawPorts, loadTracks, legendHtml, drawIncidentVessels, clearIncidentVessels } from './maritime.js';
import { initFront, loadFront, loadObservations, loadCounts, countsSectionHtml, frontLegendHtml } from './front.js';

/* global L */

/** The cells the page asks for at most: below the server's bound (`/v1/map/cells` refuses more than 4,096 with 400), so
 *  an edge tile counted differently never tips it over. */
const CELL_BUDGET = 3600;
/** The largest zoom the server takes; cells are `zoom + 3` (at most 20). */
const MAX_SERVER_ZOOM = 22;
/** Wait after the map stops moving (or the slider stops) before asking the server. */
const SETTLE_MS = 80;
/** Rows per page of the incident list (a long table would cost seconds of layout). */
const LIST_PAGE = 200;

const st = {
  section: null,
  map: null,
  incidentsLayer: null, // parent of clusterLayer and cellLayer (one entry in the layers control)
  clusterLayer: null, // individual incidents (when the server lists them), clustered when close
  cellLayer: null, // incident cells (when there are too many in view to list)
  backgroundLayer: null, // background detections' density
  sitesLayer: null,
  zonesLayer: null,
  markers: new Map(), // marker key (id|occurrence|words) → marker
  byId: new Map(), // incident id → marker
  view: null, // the last /v1/map/cells answer for incidents
  features: null, // its incidents (array) when the server listed them, else null
  background: null, // the last /v1/map/cells answer for background detections
  days: [], // every UTC day from the first to the last with incidents matching the filters
  dayCounts: new Map(),
  daysTotal: 0,
  openId: null,
  openDoc: null,
  jumped: null, // the incident the map last moved to (once per opening)
  listPage: 0,
  loadSeq: 0,
  drawn: 0,
  daysSeq: 0,
  lastKey: '',
  busy: 0, // answers being fetched
  primed: null, // the first view's answer, when it listed every incident: {filters, doc}
};

const icons = new Map();
function iconFor(grade, outcome) {
  const k = `${grade}|${outcome}`;
  if (!icons.has(k)) {
    icons.set(k, L.divIcon({ className: 'inc-icon', html: symbol(grade, outcome, 26), iconSize: [26, 26], iconAnchor: [13, 13] }));
  }
  return icons.get(k);
}

export async function mount(section) {
  st.section = section;
  setHTML(section, html`
<div class="map-layout">
  <form class="filters" aria-label="Filters" novalidate>
    <h2 class="visually-hidden">Filters</h2>
    <label>Agreement <select name="agreement"></select></label>
    <label>Reading <select name="reading"></select></label>
    <label>Party named <select name="party"><option value="">any</option></select></label>
    <label>Occurrence <select name="occurrence"><option value="">any</option>
      ${Object.keys(OCCURRENCE).map((g) => html`<option value="${g}">${g}</option>`)}</select></label>
    <label>Outcome under the reading <select name="outcome"><option value="">any</option>
      ${Object.entries(OUTCOMES).map(([o, v]) => html`<option value="${o}">${v.label}</option>`)}</select></label>
    <label>Kind of act <select name="kind"><option value="">any</option>
      ${ACTS.map((a) => html`<option value="${a}">${a}</option>`)}</select></label>
    <label>From <input type="date" name="from"></label>
    <label>To <input type="date" name="to"></label>
    <button type="reset">Clear filters</button>
    <p class="status" aria-live="polite"></p>
  </form>
  <div class="map-col">
    <div class="timeline">
      <div class="histogram" aria-hidden="true"></div>
      <div class="slider">
        <label for="day">Day</label>
        <input type="range" id="day" name="day" min="0" max="0" value="0" step="1">
        <output for="day" class="day-label">all days</output>
        <button type="button" class="all-days">All days</button>
      </div>
    </div>
    ${raw(PATTERN_DEFS)}
    <div id="map" class="map" role="region" aria-label="Map of incidents; the list below the map has the incidents in view" data-incident-count="0" data-ready="false"></div>
    <div class="legend" aria-label="Legend"></div>
  </div>
  <aside class="panel" aria-label="Incident details" hidden></aside>
</div>
${countsSectionHtml()}
<section class="incident-list" aria-labelledby="list-title">
  <h2 id="list-title">Incidents in view</h2>
  <p class="list-note" role="status" hidden></p>
  <div class="list-pages" hidden><button type="button" class="prev">Previous ${LIST_PAGE}</button> <span class="list-range"></span> <button type="button" class="next">Next ${LIST_PAGE}</button></div>
  <div class="table-wrap"><table class="incidents">
    <thead><tr><th scope="col">Incident</th><th scope="col">Start</th><th scope="col">Occurrence</th><th scope="col">Outcome under the reading</th><th scope="col">Acts</th><th scope="col">Parties named</th></tr></thead>
    <tbody></tbody>
  </table></div>
</section>`);

  const form = $('form.filters', section);
  const [ags, ps] = await Promise.all([agreements(), parties()]);
  const agSel = form.elements.agreement;
  const withReadings = ags.filter((a) => a.readings.length);
  for (const a of [...withReadings, ...ags.filter((a) => !a.readings.length)]) {
    agSel.append(new Option(`${a.title}${a.readings.length ? '' : ' (no readings)'}`, a.id));
  }
  const partySel = form.elements.party;
  for (const p of ps) partySel.append(new Option(`${p.name} (${p.id})`, p.id));
  await fillReadings();

  form.addEventListener('change', async (ev) => {
    try {
      if (ev.target.name === 'agreement') { await fillReadings(); await drawZones(); }
      await filtersChanged();
    } catch (e) { showError(e); }
  });
  form.addEventListener('reset', () => setTimeout(async () => {
    try { await fillReadings(); await drawZones(); await filtersChanged(); } catch (e) { showError(e); }
  }, 0));
  form.addEventListener('submit', (ev) => ev.preventDefault());

  const slider = $('#day', section);
  const settleDay = debounce(() => load().catch(showError), SETTLE_MS);
  slider.addEventListener('input', () => { $('#map', section).dataset.ready = 'false'; showDay(); settleDay(); });
  $('.all-days', section).addEventListener('click', () => { slider.value = slider.max; showDay(); load().catch(showError); });

  // The timeline and the legend at their final heights before the map measures its own (a later change of the map's size
  // would move its view and ask the server again).
  drawHistogram(null);
  drawLegend();
  initMap();
  const settle = debounce(() => load().catch(showError), SETTLE_MS);
  // `data-ready` is false from the move until its answer is drawn (the browser test waits on it).
  st.map.on('moveend', () => { $('#map', section).dataset.ready = 'false'; settle(); });
  st.map.on('overlayadd overlayremove', (e) => {
    if (e.layer === st.backgroundLayer) {
      if (e.type === 'overlayremove') { st.background = null; st.backgroundLayer.clearLayers(); }
      st.lastKey = '';
      settle();
    }
  });

  $('.list-pages .prev', section).addEventListener('click', () => turnListPage(-1));
  $('.list-pages .next', section).addEventListener('click', () => turnListPage(1));
  $('table.incidents tbody', section).addEventListener('click', (ev) => {
    const tr = ev.target.closest('tr[data-incident-id]');
    if (tr && !ev.target.closest('a')) location.hash = `#/incident/${encodeURIComponent(tr.dataset.incidentId)}`;
  });

  await Promise.all([firstView(), loadBaseMap(st.map, st.layersControl), loadSites(), drawZones(), loadMaritimeZones()]);
  drawLegend();
}

export async function show(route) {
  const panel = $('aside.panel', st.section);
  if (route.incident) {
    if (st.openId === route.incident && !panel.hidden) return;
    st.openId = route.incident;
    st.openDoc = null;
    st.jumped = null;
    panel.hidden = false;
    // The panel first: the map learns its narrower size (a redraw of the base map, a request for the new view) after.
    const doc = await renderIncident(panel, route.incident);
    if (st.openId !== route.incident) return;
    st.map.invalidateSize({ pan: false });
    st.openDoc = doc || null;
    highlight(route.incident);
    if (doc) drawIncidentVessels(doc.incident, panel).catch(showError);
  } else {
    st.openId = null;
    st.openDoc = null;
    clearIncidentVessels();
    panel.hidden = true;
    highlight(null);
    if (st.map) st.map.invalidateSize();
  }
}

export function refresh() {
  // The time zone changed: the list's times change with it (the timeline counts UTC days).
  renderList();
  if (st.openId) renderIncident($('aside.panel', st.section), st.openId);
  // The day's violations per sector are counted in the chosen zone.
  loadCounts().catch(showError);
}

function showError(e) {
  const s = $('form.filters .status', st.section);
  s.textContent = `Error: ${e.message}`;
  s.classList.add('error');
  $('#map', st.section).dataset.ready = 'error';
}

async function fillReadings() {
  const form = $('form.filters', st.section);
  const id = form.elements.agreement.value;
  const sel = form.elements.reading;
  const prev = sel.value;
  sel.replaceChildren();
  const a = (await agreements()).find((x) => x.id === id);
  const readings = a ? a.readings : [];
  if (!readings.length) sel.append(new Option('(none)', ''));
  for (const r of readings) sel.append(new Option(`${r}'s reading`, r));
  if (readings.includes(prev)) sel.value = prev;
  // Without a reading there is no outcome to filter on.
  form.elements.outcome.disabled = !readings.length;
  if (!readings.length) form.elements.outcome.value = '';
}

/** The form's filters as the map endpoints take them (no area, no day of the slider). */
function filters() {
  const f = $('form.filters', st.section).elements;
  const p = { party: f.party.value, occurrence: f.occurrence.value, kind: f.kind.value, from: f.from.value, to: f.to.value };
  // Outcomes are under a reading: the server takes `agreement` and `reading` together, `outcome` only with them.
  if (f.agreement.value && f.reading.value) {
    p.agreement = f.agreement.value;
    p.reading = f.reading.value;
    p.outcome = f.outcome.value;
  }
  return p;
}

/** The background layer's filters: the time range only (background detections name nobody). */
function backgroundFilters(day) {
  const f = $('form.filters', st.section).elements;
  return day ? { from: day, to: day } : { from: f.from.value, to: f.to.value };
}

/** The day chosen on the slider, or null for all days. */
function sliderDay() {
  const idx = Number($('#day', st.section).value);
  return idx < st.days.length ? st.days[idx] : null;
}

/** The visible area as `W,S,E,N` and the zoom to ask for, so that the cells stay within the server's bound. */
function viewParams() {
  const b = st.map.getBounds();
  const clamp = (v, lo, hi) => Math.min(hi, Math.max(lo, v));
  const box = [clamp(b.getWest(), -180, 180), clamp(b.getSouth(), -85.05, 85.05), clamp(b.getEast(), -180, 180), clamp(b.getNorth(), -85.05, 85.05)];
  let zoom = Math.min(MAX_SERVER_ZOOM, Math.max(0, Math.floor(st.map.getZoom())));
  while (zoom > 0 && tileCount(box, Math.min(zoom + 3, 20)) > CELL_BUDGET) zoom -= 1;
  return { bbox: box.map((x) => x.toFixed(5)).join(','), zoom };
}

/** After a filter changed: back to all days, a new timeline, the map again. */
async function filtersChanged() {
  const slider = $('#day', st.section);
  slider.value = slider.max;
  await Promise.all([loadDays(), load()]);
}

/** The timeline: incidents per UTC day matching the filters, anywhere (`/v1/map/days`, one bounded answer). */
async function loadDays() {
  const seq = ++st.daysSeq;
  const doc = await api.get('/v1/map/days', { layer: 'incidents', ...filters() });
  if (seq !== st.daysSeq) return;
  const ds = (doc.days || []).map((d) => d.day).filter(Boolean).sort();
  st.dayCounts = new Map((doc.days || []).map((d) => [d.day, d.count]));
  st.daysTotal = doc.total;
  const wasAll = Number($('#day', st.section).value) >= st.days.length;
  const prevDay = sliderDay();
  st.days = daysBetween(ds[0], ds[ds.length - 1]);
  const slider = $('#day', st.section);
  slider.max = String(st.days.length);
  const k = prevDay && !wasAll ? st.days.indexOf(prevDay) : -1;
  slider.value = String(k >= 0 ? k : st.days.length);
  showDay();
  showStatus();
}

/** The first view: fits the map to every incident matching the filters, then loads the view. At most two bounded
 *  requests: the whole world at a coarse zoom (at most 1,024 cells, or the incidents themselves when few), then, when
 *  there were too many to list, the box of those cells at the finest zoom the cell budget allows: the union of its
 *  cells holds every incident. */
async function firstView() {
  const days = loadDays();
  const world = [-180, -85.05, 180, 85.05];
  let doc = await api.get('/v1/map/cells', { layer: 'incidents', bbox: world.join(','), zoom: 2, ...filters() });
  let bounds = null;
  if (doc.features) {
    const pts = doc.features.features.map((f) => f.geometry.coordinates);
    if (pts.length) bounds = L.latLngBounds(pts.map(([lon, lat]) => [lat, lon])).pad(0.3);
    // The fitted view holds every one of them: its first load draws this answer instead of asking again.
    st.primed = { filters: JSON.stringify(filters()), doc };
  } else if (doc.cells.length) {
    const box = unionBox(doc.cells);
    let zoom = 2;
    while (zoom < 17 && tileCount(box, zoom + 4) <= CELL_BUDGET) zoom += 1;
    doc = await api.get('/v1/map/cells', { layer: 'incidents', bbox: box.map((x) => x.toFixed(5)).join(','), zoom, ...filters() });
    const [w, s, e, n] = unionBox(doc.cells.length ? doc.cells : [{ bbox: box }]);
    bounds = L.latLngBounds([s, w], [n, e]).pad(0.05);
  }
  if (bounds) st.map.fitBounds(bounds, { maxZoom: 7, animate: false });
  await Promise.all([days, load()]);
}

/** The box `[w, s, e, n]` holding every cell's box. */
function unionBox(cells) {
  return cells.reduce(([w, s, e, n], c) => [Math.min(w, c.bbox[0]), Math.min(s, c.bbox[1]), Math.max(e, c.bbox[2]), Math.max(n, c.bbox[3])],
    [180, 90, -180, -90]);
}

/** Asks the server for what is in view (incidents, and background detections when their layer is on) and draws it. */
async function load() {
  const day = sliderDay();
  loadTracks(day).catch(showError);
  loadFront().catch(showError);
  loadObservations().catch(showError);
  loadCounts().catch(showError);
  const view = viewParams();
  const incParams = { layer: 'incidents', ...view, ...filters(), ...(day ? { from: day, to: day } : {}) };
  const withBackground = st.map.hasLayer(st.backgroundLayer);
  const bgParams = withBackground ? { layer: 'background', ...view, ...backgroundFilters(day) } : null;
  const key = JSON.stringify([incParams, bgParams]);
  const el = $('#map', st.section);
  if (key === st.lastKey) {
    // What is drawn (or being fetched) already answers this view.
    if (!st.busy) el.dataset.ready = 'true';
    return;
  }
  st.lastKey = key;
  const seq = ++st.loadSeq;
  const status = $('form.filters .status', st.section);
  status.classList.remove('error');
  el.dataset.ready = 'false';
  const t0 = performance.now();
  let inc, bg;
  const primed = st.primed && !day && st.primed.filters === JSON.stringify(filters()) ? st.primed.doc : null;
  st.primed = null;
  st.busy += 1;
  try {
    [inc, bg] = await Promise.all([primed || api.get('/v1/map/cells', incParams), bgParams ? api.get('/v1/map/cells', bgParams) : null]);
  } catch (e) {
    if (seq === st.loadSeq) st.lastKey = '';
    throw e;
  } finally {
    st.busy -= 1;
  }
  if (seq !== st.loadSeq) return; // a later view's answer is coming
  const t1 = performance.now();
  st.view = inc;
  st.features = inc.features ? inc.features.features : null;
  st.background = bg;
  drawIncidents();
  drawBackground();
  st.listPage = 0;
  renderList();
  showStatus();
  el.dataset.incidentCount = String(inc.total);
  el.dataset.mode = st.features ? 'incidents' : 'cells';
  el.dataset.backgroundCount = bg ? String(bg.total) : '';
  // For the browser test and the console: the answer's wait (request, transfer, parse) and the drawing, in ms.
  el.dataset.fetchMs = String(Math.round(t1 - t0));
  el.dataset.drawMs = String(Math.round(performance.now() - t1));
  st.drawn += 1;
  el.dataset.loads = String(st.drawn); // answers drawn so far (the browser test waits for the next one)
  el.dataset.ready = 'true';
  if (st.openId) highlight(st.openId);
}

function showStatus() {
  const status = $('form.filters .status', st.section);
  if (!st.view) return;
  const n = st.view.total;
  const day = sliderDay();
  let s = `${n.toLocaleString('en')} incident${n === 1 ? '' : 's'} in view`;
  if (!day) s += ` of ${st.daysTotal.toLocaleString('en')} matching the filters`;
  else s += ` on ${day} (UTC)`;
  if (st.background) s += `; ${st.background.total.toLocaleString('en')} background detection${st.background.total === 1 ? '' : 's'} in view`;
  status.textContent = `${s}.`;
}

/** The slider's label and the histogram's highlighted day. */
function showDay() {
  const slider = $('#day', st.section);
  const day = sliderDay();
  const label = day ? `${day} (UTC)` : 'all days';
  $('.day-label', st.section).textContent = label;
  slider.setAttribute('aria-valuetext', label);
  drawHistogram(day);
}

// ── the map ──

function initMap() {
  const el = $('#map', st.section);
  st.map = L.map(el, {
    preferCanvas: true,
    worldCopyJump: false,
    minZoom: 2,
    maxZoom: 14,
    zoomSnap: 0.5,
    attributionControl: true,
  }).setView([49, 33], 5);
  el.leafletMap = st.map; // for the browser test (tests/browser.mjs) and the console
  st.map.attributionControl.setPrefix('Leaflet');
  st.map.attributionControl.addAttribution('Base map: Natural Earth (public domain), towns: GeoNames (CC BY 4.0); no tiles');
  st.map.createPane('zones').style.zIndex = 350;
  st.map.createPane('background').style.zIndex = 390;
  st.clusterLayer = L.markerClusterGroup({
    maxClusterRadius: 40,
    disableClusteringAtZoom: 13,
    spiderfyOnMaxZoom: true,
    showCoverageOnHover: false,
    removeOutsideVisibleBounds: true,
    iconCreateFunction: (c) => L.divIcon({
      html: `<span data-count="${c.getChildCount()}">${c.getChildCount()}</span><span class="visually-hidden"> incidents</span>`,
      className: 'marker-cluster marker-cluster-incidents',
      iconSize: [36, 36],
    }),
  });
  st.cellLayer = L.layerGroup();
  st.incidentsLayer = L.layerGroup([st.cellLayer, st.clusterLayer]);
  st.backgroundLayer = L.layerGroup();
  st.sitesLayer = L.markerClusterGroup({
    chunkedLoading: true,
    maxClusterRadius: 30,
    showCoverageOnHover: false,
    iconCreateFunction: (c) => L.divIcon({
      html: `<span>${c.getChildCount()}</span>`, className: 'site-cluster', iconSize: [24, 24],
    }),
  });
  st.zonesLayer = L.layerGroup();
  st.sitesLayer.addTo(st.map);
  st.zonesLayer.addTo(st.map);
  st.backgroundLayer.addTo(st.map);
  st.incidentsLayer.addTo(st.map);
  st.layersControl = L.control.layers(null, {
    Incidents: st.incidentsLayer,
    'Background detections': st.backgroundLayer,
    Sites: st.sitesLayer,
    "Readings' zones": st.zonesLayer,
  }, { collapsed: false, position: 'topright' }).addTo(st.map);
  initMaritime(st.map, st.layersControl, el, sliderDay);
  initFront(st.map, st.layersControl, el, sliderDay, () => {
    const f = $('form.filters', st.section).elements;
    return { agreement: f.agreement.value, reading: f.reading.value };
  });
  L.control.scale({ imperial: false }).addTo(st.map);
}

// Leaflet puts a string tooltip in as HTML: every log-derived string (names, categories, ids)
// is escaped first, so a site named `<a href=…>x</a><img src=x>` shows as text.
async function loadSites() {
  const { items } = await api.all('/v1/sites');
  const layers = [];
  for (const s of items) {
    const site = s.site;
    const sty = siteStyle(site.category);
    const label = `Site: ${site.name} (${site.category}), listed by ${s.author}`;
    if (site.geometry.type === 'Point') {
      const [lon, lat] = site.geometry.coordinates;
      layers.push(L.marker([lat, lon], {
        icon: L.divIcon({ className: 'site-icon', html: `<span style="border-color:${sty.colour}">${sty.letter}</span>`, iconSize: [16, 16], iconAnchor: [8, 8] }),
        title: label, keyboard: false, zIndexOffset: -1000,
      }).bindTooltip(esc(label)));
    } else if (site.geometry.type === 'Polygon') {
      const rings = site.geometry.coordinates.map((r) => r.map(([lon, lat]) => [lat, lon]));
      const poly = L.polygon(rings, { color: sty.colour, weight: 1, fillOpacity: 0.2, dashArray: '2 3' }).bindTooltip(esc(label));
      st.zonesLayer.addLayer(poly);
    } else if (site.geometry.type === 'LineString' || site.geometry.type === 'MultiLineString') {
      // Pipelines and power lines: drawn as lines, in the site's colour.
      const lines = site.geometry.type === 'LineString' ? [site.geometry.coordinates] : site.geometry.coordinates;
      const line = L.polyline(lines.map((l) => l.map(([lon, lat]) => [lat, lon])), { color: sty.colour, weight: 3, opacity: 0.8 }).bindTooltip(esc(label));
      st.zonesLayer.addLayer(line);
    }
  }
  st.sitesLayer.addLayers(layers);
  drawPorts(items);
  st.siteFamilies = [...new Map(items.map((s) => { const y = siteStyle(s.site.category); return [y.family, y]; })).values()];
  drawLegend();
}

const ZONE_DASH = ['6 4', '2 4', '10 3 2 3', '1 3'];
async function drawZones() {
  if (!st.zonesLayer) return;
  st.zonesLayer.clearLayers();
  const id = $('form.filters', st.section).elements.agreement.value;
  st.zoneInfo = [];
  if (!id) return;
  const a = await agreement(id);
  (a.readings || []).forEach((r, i) => {
    const zones = r.reading.terms.zones || [];
    st.zoneInfo.push({ party: r.author, count: zones.length, dash: ZONE_DASH[i % ZONE_DASH.length] });
    for (const z of zones) {
      const rings = (z.polygon || []).map((ring) => ring.map(([lon, lat]) => [lat, lon]));
      L.polygon(rings, { pane: 'zones', color: '#0072b2', weight: 2, dashArray: ZONE_DASH[i % ZONE_DASH.length], fillOpacity: 0.06 })
        .bindTooltip(esc(`${r.author}'s reading: zone ${z.name}`))
        .addTo(st.zonesLayer);
    }
  });
  drawLegend();
}

/** An incident feature's outcome in words under the chosen reading ("alleged breach", "no breach"), or `none`. */
function wordsOfFeature(p) {
  if (p.words) return p.words;
  return p.outcome ? wordsOf({ outcome: p.outcome, standing: p.standing }) : 'none';
}

/** The key with the largest count of `{key: n}` (ties: the first in `order`), or null. */
function dominant(counts, order) {
  let best = null, n = 0;
  const keys = [...order.filter((k) => k in (counts || {})), ...Object.keys(counts || {}).filter((k) => !order.includes(k))];
  for (const k of keys) if (counts[k] > n) { best = k; n = counts[k]; }
  return best;
}

/** `{reported: 3, verified: 1}` → "3 reported, 1 verified". */
function breakdown(counts, word = (k) => k) {
  return Object.entries(counts || {}).filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1]).map(([k, n]) => `${n.toLocaleString('en')} ${word(k)}`).join(', ');
}

/** Draws the incidents in view: each one's symbol when the server listed them, else the cells. */
function drawIncidents() {
  if (st.features) {
    st.cellLayer.clearLayers();
    drawMarkers(st.features);
  } else {
    st.clusterLayer.clearLayers();
    st.markers.clear();
    st.byId.clear();
    drawCells(st.view.cells || []);
  }
}

/** The individual incidents, as markers clustered when close; only what changed since the last answer is redrawn. */
function drawMarkers(features) {
  const want = new Map();
  for (const f of features) {
    const p = f.properties || {};
    const words = wordsOfFeature(p);
    want.set(`${p.id}|${p.occurrence}|${words}`, { f, p, words });
  }
  const gone = [];
  for (const [k, m] of st.markers) if (!want.has(k)) { gone.push(m); st.markers.delete(k); }
  st.clusterLayer.removeLayers(gone);
  const added = [];
  for (const [k, { f, p, words }] of want) {
    if (st.markers.has(k)) continue;
    const [lon, lat] = f.geometry.coordinates;
    const id = p.id;
    const m = L.marker([lat, lon], {
      icon: iconFor(p.occurrence, words),
      title: `Incident ${id}: occurrence ${p.occurrence}, ${words === 'none' ? OUTCOMES.none.label : words}, ${p.day || String(p.start || '').slice(0, 10)}`,
      keyboard: true,
      riseOnHover: true,
    });
    m.on('click', () => { location.hash = `#/incident/${encodeURIComponent(id)}`; });
    // Markers get a new element each time a cluster opens: mark the open incident's every time.
    m.on('add', () => { if (st.openId === id) m.getElement()?.classList.add('open'); });
    m.incidentId = id;
    st.markers.set(k, m);
    added.push(m);
  }
  st.clusterLayer.addLayers(added);
  st.byId = new Map([...st.markers.values()].map((m) => [m.incidentId, m]));
}

/** A cell's circle: diameter by count (logarithmic), fill by its most common occurrence grade with that grade's letter,
 *  the count inside (abridged: 12k), and in its title the whole breakdown; Enter or a click zooms into it. */
function drawCells(cells) {
  st.cellLayer.clearLayers();
  const grades = Object.keys(OCCURRENCE);
  for (const c of cells) {
    const [lon, lat] = c.center;
    const count = Math.max(0, Math.floor(Number(c.count) || 0)); // a number, whatever the answer held
    const grade = dominant(c.by_grade, grades);
    const g = OCCURRENCE[grade] || { colour: '#9aa7b8', letter: '' };
    const outcome = dominant(c.by_outcome, ['breach', 'no_breach', 'out_of_scope', 'undetermined', 'none']);
    const d = Math.round(Math.min(40, 18 + 5 * Math.log10(Math.max(1, count))));
    const breach = outcome === 'breach' ? ' breach' : '';
    const title = `${count.toLocaleString('en')} incident${count === 1 ? '' : 's'} in this area: ${breakdown(c.by_grade)}` +
      (c.by_outcome && Object.keys(c.by_outcome).length ? `; outcomes: ${breakdown(c.by_outcome, (k) => k.replace(/_/g, ' '))}` : '') +
      '. Press Enter or click to zoom in.';
    const m = L.marker([lat, lon], {
      icon: L.divIcon({
        className: `marker-cluster-incidents inc-cell${breach}`,
        html: `<span data-count="${count}" style="width:${d}px;height:${d}px;line-height:${d}px;background:${g.colour}">${compactCount(count)}</span>` +
          `<b class="cell-grade" aria-hidden="true">${esc(g.letter)}</b><span class="visually-hidden"> incidents</span>`,
        iconSize: [d, d],
        iconAnchor: [d / 2, d / 2],
      }),
      title,
      keyboard: true,
      riseOnHover: true,
    });
    m.cellBbox = c.bbox;
    m.on('click', () => {
      const [w, s, e, n] = c.bbox;
      st.map.fitBounds([[s, w], [n, e]], { maxZoom: Math.min(14, Math.floor(st.map.getZoom()) + 3) });
    });
    m.on('add', () => markOpenCell(m));
    st.cellLayer.addLayer(m);
  }
}

/** Background detections: muted circles on a canvas, their area by count relative to the fullest cell in view (a
 *  density); not interactive (the status line says how many are in view). */
function drawBackground() {
  st.backgroundLayer.clearLayers();
  if (!st.background) return;
  const cells = st.background.cells || [];
  const max = Math.max(1, ...cells.map((c) => Number(c.count) || 0));
  for (const c of cells) {
    const [lon, lat] = c.center;
    L.circleMarker([lat, lon], {
      pane: 'background',
      radius: 2 + 12 * Math.sqrt((Number(c.count) || 0) / max),
      stroke: false,
      fillColor: '#6d6a8a',
      fillOpacity: 0.35,
      interactive: false,
    }).addTo(st.backgroundLayer);
  }
}

/** The open incident's point [lat, lon]: its marker's, else its document's (the panel loaded it). */
function openPoint(id) {
  const m = st.byId.get(id);
  if (m) return m.getLatLng();
  const inc = st.openDoc && st.openDoc.incident;
  return inc && inc.id === id && Array.isArray(inc.point) ? L.latLng(inc.point[1], inc.point[0]) : null;
}

function markOpenCell(m) {
  const el = m.getElement();
  if (!el) return;
  const p = st.openId && openPoint(st.openId);
  const [w, s, e, n] = m.cellBbox;
  el.classList.toggle('open', Boolean(p && p.lng >= w && p.lng <= e && p.lat >= s && p.lat <= n));
}

function highlight(id) {
  for (const el of st.section.querySelectorAll('.inc-icon.open, .inc-cell.open')) el.classList.remove('open');
  for (const tr of st.section.querySelectorAll('tr.open')) tr.classList.remove('open');
  if (!id) return;
  const k = st.features ? st.features.findIndex((f) => f.properties && f.properties.id === id) : -1;
  if (k >= 0 && Math.floor(k / LIST_PAGE) !== st.listPage) { st.listPage = Math.floor(k / LIST_PAGE); renderList(); return; }
  const tr = st.section.querySelector(`tr[data-incident-id="${CSS.escape(id)}"]`);
  if (tr) tr.classList.add('open');
  const m = st.byId.get(id);
  let visible = false;
  if (m && st.clusterLayer.hasLayer(m)) {
    m.getElement()?.classList.add('open');
    visible = st.clusterLayer.getVisibleParent(m) === m && st.map.getBounds().contains(m.getLatLng());
  }
  st.cellLayer.eachLayer(markOpenCell);
  const p = openPoint(id);
  // Close enough to see it as itself (clustering stops at zoom 13), not so close that the context is lost; once per opening.
  if (!visible && p && st.jumped !== id) {
    st.jumped = id;
    const jump = () => st.map.setView(p, Math.max(st.map.getZoom(), 13), { animate: false });
    // Leaflet ignores setView during a zoom animation (e.g. the first fitBounds): jump after it.
    if (st.map._animatingZoom) st.map.once('zoomend', () => setTimeout(jump, 0));
    else jump();
  }
}

function drawHistogram(day) {
  const max = Math.max(1, ...st.days.map((d) => st.dayCounts.get(d) || 0));
  const n = Math.max(1, st.days.length);
  const w = 1000 / n;
  const bars = st.days.map((d, k) => {
    const c = Number(st.dayCounts.get(d)) || 0;
    const h = (c / max) * 34;
    return `<rect x="${(k * w + w * 0.1).toFixed(1)}" y="${(36 - h).toFixed(1)}" width="${(w * 0.8).toFixed(1)}" height="${h.toFixed(1)}" class="${d === day ? 'on' : ''}"><title>${esc(d)}: ${c}</title></rect>`;
  }).join('');
  const first = st.days[0] || '', last = st.days[st.days.length - 1] || '';
  setHTML($('.histogram', st.section), `<span class="hist-title">Incidents per day (UTC) matching the filters, whole map</span><svg viewBox="0 0 1000 48" preserveAspectRatio="none" class="hist">${bars}</svg><div class="hist-axis"><span>${esc(first) || '&nbsp;'}</span><span>${esc(last)}</span></div>`);
}

function drawLegend() {
  const grades = Object.entries(OCCURRENCE).map(([g, v]) => html`<li>${raw(symbol(g, 'no breach', 18))} <b>${v.letter}</b> ${v.label}</li>`);
  const outcomes = Object.entries(OUTCOMES).map(([o, v]) => html`<li>${raw(symbol(null, o, 18))} ${v.label}</li>`);
  const standings = Object.entries(STANDINGS).map(([s, v]) => html`<li><b>${s}</b>: ${v.label.replace(/^[a-z]+: /, '')}</li>`);
  const attributions = Object.entries(ATTRIBUTION).map(([g, v]) => html`<li><b>${g}</b> → ${v.standing}</li>`);
  const sites = (st.siteFamilies || []).map((s) => html`<li><span class="site-icon legend-site"><span style="border-color:${s.colour}">${s.letter}</span></span> ${s.family}</li>`);
  const zones = (st.zoneInfo || []).map((z) => html`<li><svg width="28" height="10" aria-hidden="true"><line x1="0" y1="5" x2="28" y2="5" stroke="#0072b2" stroke-width="2" stroke-dasharray="${z.dash}"/></svg> ${z.party}'s reading: ${z.count ? `${z.count} zone(s)` : 'everywhere (no zones)'}</li>`);
  setHTML($('.legend', st.section), html`
    <div><h3>Occurrence: did something happen? (colour and letter)</h3><ul>${grades}</ul></div>
    <div><h3>Outcome under the chosen reading (shape; a breach's outline is its standing)</h3><ul>${outcomes}</ul></div>
    <div><h3>Standing: how well a breach stands</h3><ul class="single">${standings}</ul>
      <h3>Attribution per party: did it do it? (grade → standing)</h3><ul>${attributions}</ul></div>
    <div><h3>Sites (letter)</h3><ul>${sites}</ul><h3>Zones</h3><ul>${zones}</ul></div>
    ${legendHtml()}
    ${frontLegendHtml()}
    <div><h3>Clusters and areas (number inside)</h3><ul class="single">
      <li><span class="marker-cluster-incidents legend-cluster"><span>n</span></span> n incidents close together</li>
      <li><span class="marker-cluster-incidents inc-cell legend-cluster"><span style="background:${OCCURRENCE.reported.colour}">n</span></span> n incidents in an area (too many in view to show each: zoom in); colour and letter: the most common occurrence grade, a thick outline: mostly breaches</li>
      <li><span class="legend-background" aria-hidden="true"></span> background detections: sensor detections in no incident (muted; the larger, the more of them in that area, relative to the fullest area in view)</li>
      <li><span class="site-cluster legend-cluster">n</span> n sites close together</li></ul></div>`);
}

function renderList() {
  const table = $('table.incidents', st.section);
  const note = $('.list-note', st.section);
  const nav = $('.list-pages', st.section);
  const rows = st.features || [];
  const total = rows.length;
  if (!st.features) {
    const n = st.view ? st.view.total : 0;
    note.hidden = false;
    note.textContent = `${n.toLocaleString('en')} incidents in view — zoom in to list them (the list shows at most ${(st.view && st.view.threshold) || 2000}).`;
    table.dataset.total = '0';
    setHTML($('tbody', table), '');
    $('#list-title', st.section).textContent = `Incidents in view (${n.toLocaleString('en')})`;
    nav.hidden = true;
    return;
  }
  note.hidden = true;
  note.textContent = '';
  const pages = Math.max(1, Math.ceil(total / LIST_PAGE));
  st.listPage = Math.min(st.listPage || 0, pages - 1);
  const first = st.listPage * LIST_PAGE;
  const slice = rows.slice(first, first + LIST_PAGE);
  const trs = slice.map((f) => {
    const i = f.properties || {};
    const o = wordsOfFeature(i);
    return html`<tr data-incident-id="${i.id}" data-occurrence="${i.occurrence}" data-words="${o}">
      <th scope="row"><a href="#/incident/${encodeURIComponent(i.id)}">${i.id}</a>${i.routine ? html`<span class="sub">routine: persistent hot spot</span>` : ''}</th>
      <td>${when(i.start)}</td><td>${gradeBadge(i.occurrence)}${i.disputed ? html`<span class="sub">sources disagree</span>` : ''}</td><td>${outcomeBadge(o)}</td>
      <td>${(i.acts || []).join(', ')}</td><td>${(i.parties || []).join(', ') || '—'}</td></tr>`;
  });
  table.dataset.total = String(total);
  setHTML($('tbody', table), html`${trs}`);
  $('#list-title', st.section).textContent = `Incidents in view (${total})`;
  nav.hidden = pages <= 1;
  $('.list-range', nav).textContent = total ? `rows ${first + 1}–${first + slice.length} of ${total}` : 'no rows';
  $('.prev', nav).disabled = st.listPage === 0;
  $('.next', nav).disabled = st.listPage >= pages - 1;
  if (st.openId) highlight(st.openId);
}

function turnListPage(delta) {
  st.listPage = (st.listPage || 0) + delta;
  renderList();
  announce($('.list-range', st.section).textContent);
}
