// The map view: filters, day slider and timeline, the Leaflet map (offline base map from basemap.js: recognised boundaries, disputed areas hatched, first-level regions, towns; clustered incident markers coloured by occurrence grade and shaped by the outcome under the chosen reading, a breach's outline saying its standing; sites, readings' zones), the legend (occurrence vs attribution vs standing), the accessible incident list and the incident panel.

import { $, html, raw, esc, setHTML, announce, OCCURRENCE, ATTRIBUTION, STANDINGS, OUTCOMES, ACTS, symbol, gradeBadge, outcomeBadge, siteStyle, daysBetween, dayIn, zoneLabel, when, wordsOf } from './util.js';
import * as api from './api.js';
import { agreements, agreement, parties } from './data.js';
import { renderIncident } from './incident.js';
import { loadBaseMap, PATTERN_DEFS } from './basemap.js';

/* global L */

const st = {
  section: null,
  map: null,
  incidentsLayer: null,
  sitesLayer: null,
  zonesLayer: null,
  markers: new Map(), // incident id → marker
  incidents: [], // as fetched with the server-side filters
  shown: [], // after the client-side filters (outcome, day)
  findings: new Map(), // incident id → finding under the chosen reading
  days: [],
  openId: null,
  fitted: false,
  loadSeq: 0,
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
    <label class="check"><input type="checkbox" name="bbox"> Only the visible map area</label>
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
    <div id="map" class="map" role="region" aria-label="Map of incidents; the list below the map has the same incidents" data-incident-count="0" data-ready="false"></div>
    <div class="legend" aria-label="Legend"></div>
  </div>
  <aside class="panel" aria-label="Incident details" hidden></aside>
</div>
<section class="incident-list" aria-labelledby="list-title">
  <h2 id="list-title">Incidents shown</h2>
  <div class="list-pages" hidden><button type="button" class="prev">Previous ${LIST_PAGE}</button> <span class="list-range"></span> <button type="button" class="next">Next ${LIST_PAGE}</button></div>
  <div class="table-wrap"><table class="incidents">
    <thead><tr><th scope="col">Incident</th><th scope="col">Start</th><th scope="col">Occurrence</th><th scope="col">Outcome under the reading</th><th scope="col">Acts</th><th scope="col">Attribution: party named (grade; by)</th><th scope="col">Reports</th></tr></thead>
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
      if (['reading', 'agreement', 'outcome'].includes(ev.target.name)) await refilter(true);
      else await reload();
    } catch (e) { showError(e); }
  });
  form.addEventListener('reset', () => setTimeout(async () => {
    try { await fillReadings(); await drawZones(); await reload(); } catch (e) { showError(e); }
  }, 0));
  form.addEventListener('submit', (ev) => ev.preventDefault());

  const slider = $('#day', section);
  slider.addEventListener('input', () => applyDay());
  $('.all-days', section).addEventListener('click', () => { slider.value = slider.max; applyDay(); });

  initMap();
  st.map.on('moveend', () => { if (form.elements.bbox.checked) reload().catch(showError); });

  $('.list-pages .prev', section).addEventListener('click', () => turnListPage(-1));
  $('.list-pages .next', section).addEventListener('click', () => turnListPage(1));
  $('table.incidents tbody', section).addEventListener('click', (ev) => {
    const tr = ev.target.closest('tr[data-incident-id]');
    if (tr && !ev.target.closest('a')) location.hash = `#/incident/${encodeURIComponent(tr.dataset.incidentId)}`;
  });

  await Promise.all([reload(), loadBaseMap(st.map, st.layersControl), loadSites(), drawZones()]);
  drawLegend();
}

export async function show(route) {
  const panel = $('aside.panel', st.section);
  if (route.incident) {
    if (st.openId === route.incident && !panel.hidden) return;
    st.openId = route.incident;
    panel.hidden = false;
    st.map.invalidateSize();
    await renderIncident(panel, route.incident);
    highlight(route.incident);
  } else {
    st.openId = null;
    panel.hidden = true;
    highlight(null);
    if (st.map) st.map.invalidateSize();
  }
}

export function refresh() {
  // The time zone changed: the days change with it.
  setDays();
  applyDay();
  if (st.openId) renderIncident($('aside.panel', st.section), st.openId);
}

/** An incident's day on the slider: the day its evidence starts, in the chosen time zone. */
function dayOf(i) { return dayIn(i.start); }

/** The slider's days, from the first incident's to the last's, in the chosen time zone. */
function setDays() {
  const ds = st.incidents.map(dayOf).sort();
  st.days = daysBetween(ds[0], ds[ds.length - 1]);
  const slider = $('#day', st.section);
  slider.max = String(st.days.length);
  slider.value = String(st.days.length);
}

function showError(e) {
  const s = $('form.filters .status', st.section);
  s.textContent = `Error: ${e.message}`;
  s.classList.add('error');
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
}

function filters() {
  const f = $('form.filters', st.section).elements;
  const params = { party: f.party.value, occurrence: f.occurrence.value, kind: f.kind.value, from: f.from.value, to: f.to.value };
  if (f.bbox.checked && st.map) {
    const b = st.map.getBounds();
    const clamp = (v, lo, hi) => Math.min(hi, Math.max(lo, v));
    params.bbox = [clamp(b.getWest(), -180, 180), clamp(b.getSouth(), -90, 90), clamp(b.getEast(), -180, 180), clamp(b.getNorth(), -90, 90)]
      .map((x) => x.toFixed(5)).join(',');
  }
  return params;
}

/** Fetches the incidents (server-side filters, every page), then applies the rest. */
async function reload() {
  const seq = ++st.loadSeq;
  const status = $('form.filters .status', st.section);
  status.classList.remove('error');
  status.textContent = 'Loading incidents…';
  $('#map', st.section).dataset.ready = 'false';
  const { items } = await api.all('/v1/incidents', filters(), (n, total) => {
    if (seq === st.loadSeq) status.textContent = `Loading incidents… ${n} of ${total}`;
  });
  if (seq !== st.loadSeq) return;
  st.incidents = items;
  setDays();
  await refilter(false, seq);
}

/** Loads the findings of the chosen reading (if it changed), then redraws. */
async function refilter(readingChanged, seq = st.loadSeq) {
  const f = $('form.filters', st.section).elements;
  const key = `${f.agreement.value}|${f.reading.value}`;
  if (readingChanged || st.findingsKey !== key) {
    st.findings = new Map();
    if (f.agreement.value && f.reading.value) {
      const { items } = await api.all('/v1/findings', { agreement: f.agreement.value, reading: f.reading.value });
      for (const x of items) st.findings.set(x.incident, x);
    }
    st.findingsKey = key;
  }
  if (seq !== st.loadSeq) return;
  applyDay();
}

/** The outcome in words ("alleged breach", "no breach") under the chosen reading, or `none`. */
function outcomeOf(i) { const f = st.findings.get(i.id); return f ? wordsOf(f) : 'none'; }

/** Applies the client-side filters (outcome, day) and redraws markers, list and timeline. */
function applyDay() {
  const f = $('form.filters', st.section).elements;
  const slider = $('#day', st.section);
  const idx = Number(slider.value);
  const day = idx < st.days.length ? st.days[idx] : null;
  const label = day ? `${day} (${zoneLabel()})` : 'all days';
  $('.day-label', st.section).textContent = label;
  slider.setAttribute('aria-valuetext', label);
  const outcome = f.outcome.value;
  st.listPage = 0;
  st.shown = st.incidents.filter((i) => (!day || dayOf(i) === day) && (!outcome || outcomeOf(i) === outcome));
  drawMarkers();
  renderList();
  drawHistogram(day);
  const status = $('form.filters .status', st.section);
  status.textContent = `${st.shown.length} incident${st.shown.length === 1 ? '' : 's'} shown of ${st.incidents.length} matching the filters`;
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
  st.incidentsLayer = L.markerClusterGroup({
    chunkedLoading: true,
    chunkInterval: 100,
    chunkProgress: (done, total) => { if (done === total) markersLoaded(); },
    maxClusterRadius: 40,
    disableClusteringAtZoom: 13,
    spiderfyOnMaxZoom: true,
    showCoverageOnHover: false,
    removeOutsideVisibleBounds: true,
    iconCreateFunction: (c) => L.divIcon({
      html: `<span>${c.getChildCount()}</span><span class="visually-hidden"> incidents</span>`,
      className: 'marker-cluster marker-cluster-incidents',
      iconSize: [36, 36],
    }),
  });
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
  st.incidentsLayer.addTo(st.map);
  st.layersControl = L.control.layers(null, { Incidents: st.incidentsLayer, Sites: st.sitesLayer, "Readings' zones": st.zonesLayer }, { collapsed: false, position: 'topright' }).addTo(st.map);
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

function drawMarkers() {
  st.incidentsLayer.clearLayers();
  st.markers.clear();
  const markers = [];
  for (const i of st.shown) {
    const [lon, lat] = i.point;
    const outcome = outcomeOf(i);
    const m = L.marker([lat, lon], {
      icon: iconFor(i.occurrence, outcome),
      title: `Incident ${i.id}: occurrence ${i.occurrence}, ${outcome === 'none' ? OUTCOMES.none.label : outcome}, ${dayOf(i)}`,
      keyboard: true,
      riseOnHover: true,
    });
    m.on('click', () => { location.hash = `#/incident/${encodeURIComponent(i.id)}`; });
    // Markers get a new element each time a cluster opens: mark the open incident's every time.
    m.on('add', () => { if (st.openId === i.id) m.getElement()?.classList.add('open'); });
    m.incidentId = i.id;
    st.markers.set(i.id, m);
    markers.push(m);
  }
  st.incidentsLayer.addLayers(markers);
  if (!markers.length) markersLoaded();
  if (!st.fitted && markers.length) {
    st.fitted = true;
    const b = L.latLngBounds(markers.map((m) => m.getLatLng()));
    st.map.fitBounds(b.pad(0.3), { maxZoom: 7 });
  }
  if (st.openId) highlight(st.openId);
}

/** Called once every marker is in the cluster group (chunked loading): the count the page exposes. */
function markersLoaded() {
  const el = $('#map', st.section);
  el.dataset.incidentCount = String(st.incidentsLayer.getLayers().length);
  el.dataset.ready = 'true';
}

function highlight(id) {
  for (const el of st.section.querySelectorAll('.inc-icon.open')) el.classList.remove('open');
  for (const tr of st.section.querySelectorAll('tr.open')) tr.classList.remove('open');
  if (!id) return;
  const k = st.shown.findIndex((i) => i.id === id);
  if (k >= 0 && Math.floor(k / LIST_PAGE) !== (st.listPage || 0)) { st.listPage = Math.floor(k / LIST_PAGE); renderList(); return; }
  const tr = st.section.querySelector(`tr[data-incident-id="${CSS.escape(id)}"]`);
  if (tr) tr.classList.add('open');
  const m = st.markers.get(id);
  if (m && st.incidentsLayer.hasLayer(m)) {
    m.getElement()?.classList.add('open');
    const visible = st.incidentsLayer.getVisibleParent(m) === m && st.map.getBounds().contains(m.getLatLng());
    // Close enough to see it unclustered (clustering stops at zoom 13), not so close that the context is lost.
    if (!visible) {
      const jump = () => st.map.setView(m.getLatLng(), Math.max(st.map.getZoom(), 13), { animate: false });
      // Leaflet ignores setView during a zoom animation (e.g. the first fitBounds): jump after it.
      if (st.map._animatingZoom) st.map.once('zoomend', () => setTimeout(jump, 0));
      else jump();
    }
  }
}

function drawHistogram(day) {
  const counts = new Map(st.days.map((d) => [d, 0]));
  const outcome = $('form.filters', st.section).elements.outcome.value;
  for (const i of st.incidents) if (!outcome || outcomeOf(i) === outcome) counts.set(dayOf(i), (counts.get(dayOf(i)) || 0) + 1);
  const max = Math.max(1, ...counts.values());
  const n = Math.max(1, st.days.length);
  const w = 1000 / n;
  const bars = st.days.map((d, k) => {
    const h = (counts.get(d) / max) * 34;
    return `<rect x="${(k * w + w * 0.1).toFixed(1)}" y="${(36 - h).toFixed(1)}" width="${(w * 0.8).toFixed(1)}" height="${h.toFixed(1)}" class="${d === day ? 'on' : ''}"><title>${esc(d)}: ${counts.get(d)}</title></rect>`;
  }).join('');
  const first = st.days[0] || '', last = st.days[st.days.length - 1] || '';
  setHTML($('.histogram', st.section), `<span class="hist-title">Incidents per day (${zoneLabel()})</span><svg viewBox="0 0 1000 48" preserveAspectRatio="none" class="hist">${bars}</svg><div class="hist-axis"><span>${esc(first)}</span><span>${esc(last)}</span></div>`);
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
    <div><h3>Clusters (number inside)</h3><ul class="single">
      <li><span class="marker-cluster-incidents legend-cluster"><span>n</span></span> n incidents close together</li>
      <li><span class="site-cluster legend-cluster">n</span> n sites close together</li></ul></div>`);
}

/** Rows per page of the incident list (a long table would cost seconds of layout). */
const LIST_PAGE = 200;

function renderList() {
  const total = st.shown.length;
  const pages = Math.max(1, Math.ceil(total / LIST_PAGE));
  st.listPage = Math.min(st.listPage || 0, pages - 1);
  const first = st.listPage * LIST_PAGE;
  const slice = st.shown.slice(first, first + LIST_PAGE);
  const rows = slice.map((i) => {
    const o = outcomeOf(i);
    const names = (i.members || []).map((m) => m.id);
    const what = names.length ? `${names[0]}${i.member_count > 1 ? ` +${i.member_count - 1}` : ''}` : '';
    const blamed = (i.alleged || []).map((a) => `${a.party} (${a.grade}; by ${a.by.join(', ')})`).join('; ');
    return html`<tr data-incident-id="${i.id}" data-occurrence="${i.occurrence}" data-words="${o}">
      <th scope="row"><a href="#/incident/${encodeURIComponent(i.id)}">${i.id}</a><span class="sub">${what}</span></th>
      <td>${when(i.start)}</td><td>${gradeBadge(i.occurrence)}</td><td>${outcomeBadge(o)}</td>
      <td>${(i.acts || []).join(', ')}</td><td>${blamed || '—'}</td><td>${i.member_count}</td></tr>`;
  });
  const table = $('table.incidents', st.section);
  table.dataset.total = String(total);
  setHTML($('tbody', table), html`${rows}`);
  $('#list-title', st.section).textContent = `Incidents shown (${total})`;
  const nav = $('.list-pages', st.section);
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
