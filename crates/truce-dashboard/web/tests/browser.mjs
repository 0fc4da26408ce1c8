// Browser test of the dashboard: drives Debian's Chromium (playwright-core) over a served demo log, checks what each page shows, blocks and reports any request to another host, and saves a 1366×768 screenshot of every page.
// The log is the demo plus what crates/truce/tests/dashboard.rs submits before serving it: a strike on 10 May and consents by
// ru and ua (ua's retroactive) to extend the energy moratorium, so the agreements page has extension events to show (with the
// findings they changed) next to an agreement that has none (its empty state).
//
// The same test runs on larger logs (dashboard.rs: the demo plus 100,000 simulated FIRMS detections; bench/dashboard.sh:
// 1,000,000): whatever the log, no response the page fetches may exceed MAX_RESPONSE_BYTES, and the map view never pages
// through the incident list (it asks /v1/map/cells and /v1/map/days, whose answers the server bounds).
//
// Usage: node tests/browser.mjs BASE_URL OUT_DIR   (e.g. node tests/browser.mjs http://127.0.0.1:8080 /tmp/shots)
// Exit status 0 when every check passes; 1 with a message naming the failed check otherwise.

import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

const [base, outDir] = process.argv.slice(2);
if (!base || !outDir) {
  console.error('usage: node browser.mjs BASE_URL OUT_DIR');
  process.exit(2);
}
const BASE = base.replace(/\/$/, '');
mkdirSync(outDir, { recursive: true });

const started = Date.now();
const t = () => `${((Date.now() - started) / 1000).toFixed(1)}s`;
const log = (m) => console.log(`[${t()}] ${m}`);

/** The largest response the page may fetch (any URL: the API's answers, the page's files, the base map's data). */
const MAX_RESPONSE_BYTES = 2 * 1024 * 1024;
/** The most the map view may fetch from the API while it first loads (besides the page's files). */
const MAX_MAP_LOAD_BYTES = 4 * 1024 * 1024;
/** The agreement the Sudzha checks are about (the demo's Black Sea readings judge it too, under another agreement). */
const ENERGY = 'energy-moratorium-2025';

const external = [];
const consoleErrors = [];
/** Every response the page received: { url, bytes, at } (at: ms since the start). */
const responses = [];
const failures = [];
let browser;

function check(cond, message) {
  if (!cond) throw new Error(message);
}

async function api(path) {
  const r = await fetch(BASE + path);
  if (!r.ok) throw new Error(`GET ${path}: ${r.status}`);
  return r.json();
}

async function shot(page, name) {
  const file = join(outDir, `dashboard-${name}.png`);
  await page.screenshot({ path: file });
  log(`screenshot ${file}`);
}

/** Waits for the map view to have drawn the incidents (data-ready on the map container). */
async function mapReady(page) {
  await page.waitForSelector('#map[data-ready="true"]', { timeout: 30000 });
  // The front layers' answers too (an observations answer is large): a navigation that follows must not cut one off.
  await page.waitForFunction(() => {
    const m = document.querySelector('#map');
    return m.dataset.observationsReady !== 'false' && m.dataset.frontReady !== 'false';
  }, null, { timeout: 30000 });
  await page.waitForSelector('#map .leaflet-overlay-pane canvas, #map .leaflet-overlay-pane svg, #map .leaflet-basemap-pane canvas', { timeout: 30000 });
}

/** Moves the map (the page keeps its Leaflet map on the container) and waits for the town labels of the new view. */
async function mapView(page, lat, lon, zoom) {
  // The page may still fit the map to its incidents after a reload (a filter changed just before):
  // the view is set again until it holds.
  await page.waitForFunction(([a, o, z]) => {
    const m = document.querySelector('#map');
    const map = m.leafletMap;
    const c = map.getCenter();
    if (map.getZoom() !== z || Math.abs(c.lat - a) > 1e-3 || Math.abs(c.lng - o) > 1e-3) {
      map.setView([a, o], z, { animate: false });
      return false;
    }
    return m.dataset.townMinPopulation !== undefined;
  }, [lat, lon, zoom], { timeout: 15000, polling: 100 });
  await page.waitForTimeout(200);
}

/** The town labels shown: [{ name, population, text }]. */
async function townLabels(page) {
  return page.$$eval('#map .town-label .names', (els) => els.map((e) => ({
    name: e.dataset.name, population: Number(e.dataset.population), text: e.textContent,
  })));
}

async function main() {
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--no-first-run'],
  });
  const context = await browser.newContext({ viewport: { width: 1366, height: 768 } });
  await context.route('**/*', (route) => {
    const url = new URL(route.request().url());
    const local = ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
    if ((url.protocol === 'http:' || url.protocol === 'https:') && !local) {
      external.push(url.href);
      return route.abort('blockedbyclient');
    }
    return route.continue();
  });
  const page = await context.newPage();
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(`console: ${m.text()} (${m.location().url || ''})`); });
  page.on('pageerror', (e) => consoleErrors.push(`page error: ${e.message}`));
  page.on('response', async (r) => {
    // The body's length as received (decoded); a redirect or an aborted body has none.
    let bytes = 0;
    try { bytes = (await r.body()).length; } catch { return; }
    responses.push({ url: r.url(), bytes, at: Date.now() - started });
  });
  page.on('requestfailed', (r) => {
    const u = new URL(r.url());
    if (['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname)) consoleErrors.push(`request failed: ${r.url()} ${r.failure()?.errorText}`);
  });

  // ── What the API says ──
  const total = (await api('/v1/incidents?limit=1')).total;
  const world = await api('/v1/map/cells?layer=incidents&bbox=-180,-85,180,85&zoom=2');
  const worldBackground = await api('/v1/map/cells?layer=background&bbox=-180,-85,180,85&zoom=2');
  log(`the API reports ${total} incidents (the map's cells: ${world.total}; listed when at most ${world.threshold}), ${worldBackground.total} background detections`);
  check(world.total === total, `/v1/map/cells counts ${world.total} incidents over the world, /v1/incidents ${total}`);
  const bgCount = (await api('/v1/background/count')).count;
  check(worldBackground.total === bgCount, `/v1/map/cells counts ${worldBackground.total} background detections over the world, /v1/background/count ${bgCount}`);
  // The Sudzha incident: near the gas metering station (35.27 E, 51.19 N): a bounded search on any log (on a large one,
  // synthetic reports may join the incident and move its start).
  const near = '/v1/incidents?bbox=34.9,50.9,35.6,51.5';
  const nearTotal = (await api(`${near}&limit=1`)).total;
  let sudzha = null;
  for (let off = 0; off < nearTotal && !sudzha; off += 1000) {
    const pageOf = await api(`${near}&limit=1000&offset=${off}`);
    for (const i of pageOf.items) {
      const d = await api(`/v1/incidents/${encodeURIComponent(i.id)}`);
      // The demo's own reports of the blast (synthetic allegations on a large log may name Sudzha too).
      const mentions = d.reports.some((r) => JSON.stringify(r.report).includes('Sudzha') && r.report.id.startsWith('sudzha-'));
      const out = Object.fromEntries(d.findings.filter((f) => f.agreement === ENERGY).map((f) => [f.reading, f.outcome]));
      if (mentions && out.ru && out.ua && out.ru !== out.ua) { sudzha = { id: i.id, out, doc: d }; break; }
    }
  }
  check(sudzha, 'no incident mentions Sudzha with findings that differ between the ru and ua readings');
  log(`the Sudzha incident is ${sudzha.id}: ${JSON.stringify(sudzha.out)}`);

  // ── Map ──
  let t0 = Date.now();
  await page.goto(`${BASE}/#/map`, { waitUntil: 'load' });
  await mapReady(page);
  log(`map ready in ${Date.now() - t0} ms`);
  const mapLoadBytes = responses.filter((r) => new URL(r.url).pathname.startsWith('/v1/')).reduce((n, r) => n + r.bytes, 0);
  log(`the map's first load fetched ${mapLoadBytes} bytes from the API`);
  check(mapLoadBytes <= MAX_MAP_LOAD_BYTES, `the map's first load fetched ${mapLoadBytes} bytes from the API (at most ${MAX_MAP_LOAD_BYTES})`);
  // The first view is fitted to every incident: all of them are in view.
  const count = Number(await page.getAttribute('#map', 'data-incident-count'));
  check(count === total, `the map has ${count} incidents in view; the API reports ${total}`);
  const mode = await page.getAttribute('#map', 'data-mode');
  check(mode === (total <= world.threshold ? 'incidents' : 'cells'), `the map shows ${mode} for ${total} incidents (threshold ${world.threshold})`);
  const rows = await page.locator('table.incidents tbody tr[data-incident-id]').count();
  if (mode === 'incidents') {
    // The list is paged at 200 rows (the map holds them all).
    check(rows === Math.min(total, 200), `the incident list has ${rows} rows; the API reports ${total} (pages of 200)`);
  } else {
    const listNote = await page.textContent('.incident-list .list-note');
    check(rows === 0 && listNote.includes(`${total.toLocaleString('en')} incidents in view`) && listNote.includes('zoom in'),
      `too many incidents to list (${total}), and the list says "${listNote}" with ${rows} rows`);
  }
  // Markers on the map: single incidents plus the counts of clusters (or of cells) add up to the total.
  const onMap = async () => page.evaluate(() => {
    const singles = document.querySelectorAll('#map .inc-icon').length;
    const grouped = [...document.querySelectorAll('#map .marker-cluster-incidents [data-count]')]
      .reduce((n, s) => n + Number(s.dataset.count), 0);
    return singles + grouped;
  });
  check(await onMap() === total, `the map shows ${await onMap()} incidents (markers + cluster counts); the API reports ${total}`);
  if (mode === 'cells') {
    const cell = page.locator('#map .inc-cell').first();
    check(/incidents? in this area: /.test(await cell.getAttribute('title') || ''), 'a cell does not say in words what it holds');
    check(await cell.getAttribute('tabindex') === '0', 'a cell cannot be reached with the keyboard');
  }
  // Background detections: the density layer, on by default.
  const bgShown = Number(await page.getAttribute('#map', 'data-background-count'));
  check(bgShown <= worldBackground.total && (worldBackground.total === 0 || bgShown > 0),
    `the background layer shows ${bgShown} detections; the API has ${worldBackground.total}`);
  if (bgShown) {
    check(await page.locator('#map .leaflet-background-pane canvas').count() === 1, 'the background detections are not drawn');
    check((await page.textContent('form.filters .status')).includes('background detection'), 'the status line does not count the background detections');
  }
  // The timeline: incidents per UTC day from /v1/map/days; the slider's day filters the map (from = to = that day).
  const days = await api('/v1/map/days?layer=incidents');
  check(days.total === total, `/v1/map/days counts ${days.total} incidents, /v1/incidents ${total}`);
  const busiest = [...days.days].sort((a, b) => b.count - a.count || (a.day < b.day ? -1 : 1))[0];
  if (busiest) {
    const want = (await api(`/v1/incidents?from=${busiest.day}&to=${busiest.day}&limit=1`)).total;
    check(want === busiest.count, `/v1/map/days counts ${busiest.count} on ${busiest.day}, /v1/incidents ${want}`);
    await page.evaluate((d) => {
      const s = document.querySelector('#day');
      const first = document.querySelector('.hist-axis span').textContent;
      s.value = String(Math.round((Date.parse(d) - Date.parse(first)) / 86400000));
      s.dispatchEvent(new Event('input', { bubbles: true }));
    }, busiest.day);
    const label = await page.textContent('.day-label');
    check(label.startsWith(busiest.day), `the slider says "${label}", not ${busiest.day}`);
    const onDay = await page.waitForFunction((n) => {
      const m = document.querySelector('#map');
      return m.dataset.ready === 'true' && Number(m.dataset.incidentCount) === n;
    }, want, { timeout: 30000 }).then(() => true, () => false);
    check(onDay, `the map on ${busiest.day} does not show the API's ${want} incidents of that day`);
    check(await page.locator('.hist rect.on').count() === 1, 'the histogram does not mark the chosen day');
    await page.click('.all-days');
    await page.waitForFunction((n) => {
      const m = document.querySelector('#map');
      return m.dataset.ready === 'true' && Number(m.dataset.incidentCount) === n;
    }, total, { timeout: 30000 });
  }
  const countries = await page.evaluate(() => document.querySelectorAll('#map .leaflet-basemap-pane canvas').length);
  check(countries > 0, 'the base map (countries) was not drawn');
  const legend = await page.textContent('.legend');
  for (const w of ['Occurrence', 'Attribution', 'Standing', 'established breach', 'corroborated breach', 'alleged breach',
    'out of scope', 'reported', 'contested', 'disputed', 'admitted']) check(legend.includes(w), `the legend does not mention "${w}"`);
  // The occurrence filter (`occurrence=` in the API) shows exactly what the API gives for it.
  const occ = sudzha.doc.incident.occurrence;
  const byOcc = await api(`/v1/incidents?occurrence=${occ}&limit=1`);
  check(byOcc.total > 0 && byOcc.total <= total, `/v1/incidents?occurrence=${occ} has ${byOcc.total} of ${total}`);
  await page.selectOption('form.filters select[name="occurrence"]', occ);
  const filtered = await page.waitForFunction((n) => {
    const m = document.querySelector('#map');
    return m.dataset.ready === 'true' && Number(m.dataset.incidentCount) === n;
  }, byOcc.total, { timeout: 30000 }).then(() => true, () => false);
  check(filtered, `filtering the map by occurrence ${occ} does not show the API's ${byOcc.total} incidents`);
  const wrongOcc = await page.locator(`table.incidents tbody tr[data-incident-id]:not([data-occurrence="${occ}"])`).count();
  check(wrongOcc === 0, `${wrongOcc} rows of the list are not of occurrence ${occ}`);
  await page.selectOption('form.filters select[name="occurrence"]', '');
  await page.waitForFunction((n) => {
    const m = document.querySelector('#map');
    return m.dataset.ready === 'true' && Number(m.dataset.incidentCount) === n;
  }, total, { timeout: 30000 });
  await shot(page, 'map');
  // Redrawing after a zoom and after a pan, timed in the page: from the move to the new answer drawn (Leaflet's own
  // redraw of the base map and the page's settling time included).
  for (const what of ['zoom', 'pan']) {
    const r = await page.evaluate(async (w) => {
      const el = document.querySelector('#map');
      const m = el.leafletMap;
      const before = Number(el.dataset.loads);
      const t = performance.now();
      if (w === 'zoom') m.setZoom(m.getZoom() + 1, { animate: false });
      else m.panBy([300, 150], { animate: false });
      const leaflet = performance.now() - t;
      await new Promise((resolve, reject) => {
        const give = setTimeout(() => reject(new Error(`no redraw after the ${w}`)), 30000);
        const poll = setInterval(() => {
          if (Number(el.dataset.loads) > before && el.dataset.ready === 'true') { clearInterval(poll); clearTimeout(give); resolve(); }
        }, 5);
      });
      const d = el.dataset;
      return { ms: Math.round(performance.now() - t), leaflet: Math.round(leaflet), mode: d.mode, n: d.incidentCount, bg: d.backgroundCount, fetchMs: d.fetchMs, drawMs: d.drawMs };
    }, what);
    log(`redraw after ${what} in ${r.ms} ms (${r.mode}, ${r.n} incidents and ${r.bg || 0} background detections in view; Leaflet's redraw ${r.leaflet} ms, answers ${r.fetchMs} ms, drawing ${r.drawMs} ms)`);
  }

  // ── Base map: recognised boundaries, first-level regions, hatched disputed control, towns thinned by zoom, the convention ──
  await page.waitForSelector('#map[data-basemap="ready"]', { timeout: 30000 });
  const note = await page.textContent('#map .basemap-note');
  for (const w of ['internationally recognised (UN)', 'Hatched: disputed control', 'approximate, illustrative', 'Ukrainian and Russian forms'])
    check(note.includes(w), `the map's convention note does not say "${w}": ${note}`);
  check(await page.locator('#map .basemap-note a[href="/ui/vendor/basemap/NOTICE.txt"]').count() === 1, 'the convention note does not link the sources');
  const notice = await (await fetch(`${BASE}/ui/vendor/basemap/NOTICE.txt`)).text();
  for (const w of ['GeoNames', 'CC BY 4.0', 'Natural Earth', 'public domain']) check(notice.includes(w), `NOTICE.txt does not say "${w}"`);
  const attribution = await page.textContent('#map .leaflet-control-attribution');
  check(attribution.includes('Natural Earth') && attribution.includes('GeoNames'), `the attribution does not name the base map's sources: ${attribution}`);
  check(await page.locator('#map path.admin1-line').count() > 0, 'no first-level boundaries drawn');
  check(await page.locator('#map path.country-line.recognised').count() > 0, 'the borders between Ukraine, Russia, Belarus and Moldova are not drawn');
  const hatched = await page.$$eval('#map path.disputed', (els) => els.map((e) => e.getAttribute('fill')));
  check(hatched.includes('url(#hatch-2014)') && hatched.includes('url(#hatch-2022)'), `the disputed areas are not hatched: ${JSON.stringify(hatched)}`);
  check(await page.locator('#hatch-2014').count() === 1 && await page.locator('#hatch-2022').count() === 1, 'the hatching patterns are missing');
  check(note.includes('Crimea') && note.includes('Donetsk') && await page.locator('#map .basemap-note svg.swatch').count() === 2,
    'the convention note does not show what each hatching means');
  // Low zoom: only the largest towns; Kyiv with its Ukrainian and Russian names.
  await mapView(page, 50.0, 31.5, 5);
  const low = await townLabels(page);
  const minLow = Number(await page.getAttribute('#map', 'data-town-min-population'));
  const kyiv = low.find((x) => x.name === 'Kyiv');
  check(kyiv && kyiv.text.includes('Kyiv') && kyiv.text.includes('Київ') && kyiv.text.includes('Киев'), `no Kyiv / Київ / Киев label at zoom 5: ${JSON.stringify(low.slice(0, 10))}`);
  check(await page.locator('#map .town-label .names[data-name="Kyiv"]').isVisible(), 'the Kyiv label is not visible');
  check(low.length > 0 && low.every((x) => x.population >= minLow) && minLow >= 100000, `small towns labelled at zoom 5 (minimum ${minLow}): ${JSON.stringify(low.map((x) => x.population))}`);
  // Zoomed in on Bakhmut: many more towns, and the renamed town under both names.
  await mapView(page, 48.59, 38.0, 10);
  const high = await townLabels(page);
  const bakhmut = high.find((x) => x.name === 'Bakhmut');
  check(bakhmut && ['Bakhmut', 'Artemovsk', 'Бахмут', 'Артемовск'].every((w) => bakhmut.text.includes(w)), `no Bakhmut / Artemovsk label at zoom 10: ${JSON.stringify(high.slice(0, 10))}`);
  check(high.some((x) => x.population < 10000), `no small town labelled at zoom 10: ${JSON.stringify(high.map((x) => x.population))}`);
  await mapView(page, 47.8, 36.5, 6);
  check(await page.locator('#map .region-label span[data-region="UA-14"]').count() === 1, 'the Donetsk oblast is not labelled at zoom 6');
  await mapView(page, 48.2, 37.0, 8);
  await shot(page, 'basemap');
  log(`base map: ${low.length} town labels at zoom 5 (from ${minLow}), ${high.length} at zoom 10; ${hatched.length} hatched regions`);

  // ── Maritime layers: the Black Sea readings' zones, ports, AIS vessel tracks; an incident's vessels ──
  const aisVessels = await api('/v1/ais/vessels?limit=1');
  check(aisVessels.total > 0, 'the log served has no AIS vessel: the test log must hold AIS tracks (the demo files them)');
  let wantZones = 0;
  for (const a of (await api('/v1/agreements?limit=1000')).items.filter((x) => /black.?sea|maritime/i.test(`${x.id} ${x.title || ''}`))) {
    const d = await api(`/v1/agreements/${encodeURIComponent(a.id)}`);
    for (const r of d.readings || []) wantZones += (r.reading.terms.zones || []).length + (r.reading.terms.confined || []).length;
  }
  check(wantZones > 0, 'no Black Sea reading with zones in the log served (the demo files them)');
  const zonesDrawn = Number(await page.getAttribute('#map', 'data-maritime-zones'));
  check(zonesDrawn === wantZones, `the map draws ${zonesDrawn} maritime zones; the Black Sea readings have ${wantZones}`);
  let wantPorts = 0;
  for (const k of ['transport.port', 'transport.port.*']) {
    wantPorts += (await api(`/v1/sites.geojson?kind=${k}`)).features.filter((f) => f.geometry.type === 'Point').length;
  }
  const portsDrawn = Number(await page.getAttribute('#map', 'data-ports'));
  check(portsDrawn === wantPorts && portsDrawn > 0, `the map draws ${portsDrawn} ports; the API lists ${wantPorts}`);
  for (const name of ['Maritime zones', 'Ports', 'Vessel tracks (AIS)']) {
    check((await page.textContent('#map .leaflet-control-layers')).includes(name), `the layers control has no "${name}"`);
  }
  // The tracks of the latest day with tracks, the Black Sea in view, that day on the slider.
  const latest = await api('/v1/ais/tracks.geojson?limit=1');
  const aisDay = latest.window.to.slice(0, 10);
  await mapView(page, 44.0, 34.0, 6);
  await page.evaluate((d) => {
    const s = document.querySelector('#day');
    const first = document.querySelector('.hist-axis span').textContent;
    s.value = String(Math.round((Date.parse(d) - Date.parse(first)) / 86400000));
    s.dispatchEvent(new Event('input', { bubbles: true }));
  }, aisDay);
  check((await page.textContent('.day-label')).startsWith(aisDay), `the slider is not on ${aisDay}, the latest day with AIS tracks`);
  await page.waitForFunction(() => {
    const m = document.querySelector('#map');
    return m.dataset.tracksReady === 'true' && m.dataset.ready === 'true';
  }, null, { timeout: 30000 });
  const bbox = await page.evaluate(() => {
    const b = document.querySelector('#map').leafletMap.getBounds();
    return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map((x) => x.toFixed(4)).join(',');
  });
  const inView = await api(`/v1/ais/tracks.geojson?from=${aisDay}&to=${aisDay}&bbox=${bbox}&zoom=6&limit=1000`);
  const tracksDrawn = Number(await page.getAttribute('#map', 'data-tracks'));
  check(tracksDrawn > 0 && tracksDrawn === inView.features.length, `the map draws ${tracksDrawn} vessel tracks on ${aisDay}; the API has ${inView.features.length} in view`);
  const simplified = inView.features.reduce((n, f) => n + f.properties.points, 0);
  const stored = inView.features.reduce((n, f) => n + f.properties.points_total, 0);
  check(simplified <= stored, `simplified tracks hold ${simplified} points of ${stored}`);
  const legendNow = await page.textContent('.legend');
  for (const w of ['Vessel tracks', 'self-declared', 'commercial', 'military', 'confined zone', 'port']) check(legendNow.includes(w), `the legend does not mention "${w}"`);
  log(`maritime: ${zonesDrawn} zones, ${portsDrawn} ports, ${tracksDrawn} vessel tracks on ${aisDay} (${simplified} of ${stored} points at zoom 6)`);
  await shot(page, 'maritime');
  await page.click('.all-days');
  await page.waitForSelector('#map[data-ready="true"]', { timeout: 30000 });
  // An incident listing vessels: its panel shows each (name, MMSI, class, how matched) and the map its track ±6 h.
  const seas = await api('/v1/incidents?bbox=27,40,42,47.5&limit=1000');
  const withVessel = seas.items.find((i) => (i.vessels || []).some((v) => v.mmsi));
  if (withVessel) {
    const v = withVessel.vessels.find((x) => x.mmsi);
    await page.evaluate((id) => { location.hash = `#/incident/${id}`; }, withVessel.id);
    await page.waitForSelector(`aside.panel:not([hidden]) li.vessel[data-mmsi="${v.mmsi}"] .vessel-track[data-drawn]`, { timeout: 15000 });
    const li = await page.textContent(`aside.panel li.vessel[data-mmsi="${v.mmsi}"]`);
    check(li.includes(v.mmsi) && li.includes(v.class) && li.includes(v.how), `the panel's vessel does not say its MMSI, class and how it was matched: ${li}`);
    if (v.name) check(li.includes(v.name), `the panel's vessel does not say its name ${v.name}: ${li}`);
    const around = await api(`/v1/ais/tracks.geojson?mmsi=${v.mmsi}&at=${encodeURIComponent(withVessel.start)}&hours=6`);
    const drawn = await page.getAttribute(`aside.panel li.vessel[data-mmsi="${v.mmsi}"] .vessel-track`, 'data-drawn');
    check(drawn === String(around.features.length > 0), `the panel says its track drawn=${drawn}; the API has ${around.features.length} track(s) ±6 h`);
    check(Number(await page.getAttribute('#map', 'data-vessel-tracks')) === around.features.length, 'the map does not draw the incident vessel\'s track');
    check((await page.textContent('aside.panel')).includes('Findings under each reading'), 'the panel with vessels lost its findings');
    log(`incident ${withVessel.id} lists vessel ${v.mmsi} (${v.class}, ${v.how}); its track ±6 h ${drawn === 'true' ? 'drawn' : 'absent'}`);
    await shot(page, 'incident-vessel');
    await page.evaluate(() => { location.hash = '#/map'; });
    await page.waitForSelector('aside.panel[hidden]', { state: 'attached', timeout: 15000 });
  } else {
    log('no incident in the Black Sea lists a vessel with an MMSI: the panel\'s vessels are not checked');
  }

  // ── Front layers: the line of contact, buffer and withdrawal lines of a reading with front terms; observations ──
  let frontPick = null;
  for (const a of (await api('/v1/agreements?limit=1000')).items) {
    const d = await api(`/v1/agreements/${encodeURIComponent(a.id)}`);
    const r = (d.readings || []).find((x) => x.reading.terms.front);
    if (r) { frontPick = { agreement: a.id, reading: r.author }; break; }
  }
  check(frontPick, 'no reading with [terms.front] in the log served (the demo files full-ceasefire-2025\'s)');
  if (frontPick) {
    const before = await page.evaluate(() => {
      const f = document.querySelector('form.filters').elements;
      return { agreement: f.agreement.value, reading: f.reading.value };
    });
    await page.selectOption('form.filters select[name="agreement"]', frontPick.agreement);
    await page.waitForSelector(`form.filters select[name="reading"] option[value="${frontPick.reading}"]`, { state: 'attached', timeout: 15000 });
    await page.selectOption('form.filters select[name="reading"]', frontPick.reading);
    await page.click('.all-days');
    await page.waitForFunction(() => {
      const m = document.querySelector('#map');
      return m.dataset.frontReady === 'true' && Number(m.dataset.frontLines) > 0 && m.dataset.observationsReady === 'true' && m.dataset.ready === 'true';
    }, null, { timeout: 60000 });
    const front = await api(`/v1/front.geojson?agreement=${encodeURIComponent(frontPick.agreement)}&reading=${encodeURIComponent(frontPick.reading)}`);
    const kinds = (k) => front.features.filter((f) => f.properties.kind === k).length;
    const drawnFront = await page.evaluate(() => {
      const m = document.querySelector('#map');
      const out = { lines: Number(m.dataset.frontLines), buffers: Number(m.dataset.frontBuffers), withdrawal: Number(m.dataset.frontWithdrawal),
        observations: Number(m.dataset.observations), paths: 0, cells: 0,
        canvases: document.querySelectorAll('.leaflet-front-pane canvas, .leaflet-observations-pane canvas').length };
      // The map draws vectors on canvases (preferCanvas): count the drawn layers in each pane.
      m.leafletMap.eachLayer((l) => {
        if (l.options && l.options.pane === 'front' && l._parts) out.paths += 1;
        if (l.options && l.options.pane === 'observations' && l._parts) out.cells += 1;
      });
      return out;
    });
    check(drawnFront.lines === kinds('line') && drawnFront.lines >= 2, `the map draws ${drawnFront.lines} party lines; the API has ${kinds('line')}`);
    check(drawnFront.buffers === kinds('buffer') && drawnFront.buffers > 0, `the map draws ${drawnFront.buffers} buffers; the API has ${kinds('buffer')}`);
    check(drawnFront.withdrawal === kinds('withdrawal-line') && drawnFront.withdrawal > 0, `the map draws ${drawnFront.withdrawal} withdrawal lines; the API has ${kinds('withdrawal-line')}`);
    check(drawnFront.paths >= front.features.length && drawnFront.canvases >= 2, `the front pane holds ${drawnFront.paths} drawn layers for ${front.features.length} features (${drawnFront.canvases} canvases)`);
    check(front.features.filter((f) => f.properties.kind !== 'line').every((f) => f.properties.display === 'display only; findings use exact distances'),
      'a buffer or withdrawal line is not labelled display only');
    const obs = await api('/v1/observations.geojson?limit=1000');
    check(obs.features.length > 0, 'no observation in the log served (the demo files the monitors\' patrols)');
    check(drawnFront.observations === obs.features.length && drawnFront.cells >= obs.features.length,
      `the map draws ${drawnFront.observations} observations (${drawnFront.cells} paths); the API has ${obs.features.length}`);
    check(!JSON.stringify(obs).includes('"observer"'), 'an observation served names its observer');
    for (const name of ['Line of contact', 'Buffer (display only)', 'Withdrawal lines (display only)', 'Observations']) {
      check((await page.textContent('#map .leaflet-control-layers')).includes(name), `the layers control has no "${name}"`);
    }
    const legendFront = await page.textContent('.legend');
    for (const w of ['Line of contact', 'withdrawal line', 'display only', `within ${front.tolerance_m} m`, 'Observations', 'never shown', 'impact']) {
      check(legendFront.includes(w), `the legend does not mention "${w}"`);
    }
    // A popup of an observation says how far its observer stays hidden.
    await page.evaluate(() => {
      const m = document.querySelector('#map').leafletMap;
      m.eachLayer((l) => { if (!m._obsOpened && l.options && l.options.pane === 'observations' && l.getPopup && l.getPopup()) { l.openPopup(); m._obsOpened = true; } });
    });
    const obsPopup = await page.textContent('.leaflet-popup-content').catch(() => '');
    check(/observer is hidden within \d+ m/.test(obsPopup), `an observation's popup does not say how far the observer is hidden: ${obsPopup}`);
    await page.evaluate(() => { document.querySelector('#map').leafletMap.closePopup(); });
    // Violations by sector: nothing counted for all days; for a day with observations, the daily report's front section.
    await page.waitForSelector('.front-counts[data-ready="true"]', { timeout: 30000 });
    check((await page.textContent('.front-counts')).includes('Choose a day'), 'the counts do not ask for a day when all days are shown');
    const obsDay = obs.features.map((f) => f.properties.start.slice(0, 10)).sort()[0];
    await page.evaluate((d) => {
      const s = document.querySelector('#day');
      const first = document.querySelector('.hist-axis span').textContent;
      s.value = String(Math.round((Date.parse(d) - Date.parse(first)) / 86400000));
      s.dispatchEvent(new Event('input', { bubbles: true }));
    }, obsDay);
    await page.waitForFunction(() => {
      const c = document.querySelector('.front-counts');
      return c.dataset.ready === 'true' && c.dataset.total !== '';
    }, null, { timeout: 60000 });
    const zone = await page.evaluate(() => {
      const z = document.querySelector('#tz').value;
      return z === 'local' ? Intl.DateTimeFormat().resolvedOptions().timeZone : z;
    });
    const counts = await api(`/v1/front/counts?date=${obsDay}&tz=${encodeURIComponent(zone)}`);
    check(counts.front, `no front section for ${obsDay} (${zone})`);
    if (counts.front) {
      const shown = await page.evaluate(() => {
        const c = document.querySelector('.front-counts');
        return { total: c.dataset.total, rows: c.querySelectorAll('table.counts tbody tr').length, text: c.textContent };
      });
      check(shown.total === String(counts.front.total.total.day) && counts.front.total.total.day > 0,
        `the counts panel shows ${shown.total} violations on ${obsDay}; the API has ${counts.front.total.total.day}`);
      check(shown.rows === counts.front.sectors.length + 1, `the counts table has ${shown.rows} rows for ${counts.front.sectors.length} sectors and the total`);
      for (const w of ['never the sum', 'Previous day', counts.front.sectors[0] ? counts.front.sectors[0].name : 'outside the sectors']) {
        check(shown.text.includes(w), `the counts panel does not say "${w}"`);
      }
      log(`front counts: ${counts.front.total.total.day} violations on ${obsDay} (${zone}) in ${counts.front.sectors.length} sector rows`);
      await shot(page, 'front-counts');
    }
    await page.click('.all-days');
    // Back to all days: wait for every layer's answer, so none is cut off later.
    await page.waitForFunction(() => {
      const m = document.querySelector('#map');
      return m.dataset.observationsReady === 'true' && m.dataset.frontReady === 'true' && m.dataset.ready === 'true'
        && document.querySelector('.front-counts').dataset.ready === 'true';
    }, null, { timeout: 60000 });
    log(`front: ${drawnFront.lines} lines, ${drawnFront.buffers} buffers, ${drawnFront.withdrawal} withdrawal lines of ${frontPick.reading}'s reading of ${frontPick.agreement} (tolerance ${front.tolerance_m} m); ${drawnFront.observations} observations`);
    await shot(page, 'front');
    // Back to the filters as they were.
    await page.selectOption('form.filters select[name="agreement"]', before.agreement);
    if (before.reading) {
      await page.waitForSelector(`form.filters select[name="reading"] option[value="${before.reading}"]`, { state: 'attached', timeout: 15000 });
      await page.selectOption('form.filters select[name="reading"]', before.reading);
    }
    await page.waitForSelector('#map[data-ready="true"]', { timeout: 30000 });
  }

  // ── Incident panel: the Sudzha incident, opened from the list with the keyboard ──
  // The list holds the incidents in view: back to Sudzha's surroundings, where it is listed unless too many are in view.
  await mapView(page, 51.19, 35.27, 8);
  await page.waitForSelector('#map[data-ready="true"]', { timeout: 30000 });
  t0 = Date.now();
  const link = page.locator(`table.incidents tr[data-incident-id="${sudzha.id}"] a`);
  if (await link.count() > 0 || (await page.getAttribute('#map', 'data-mode')) === 'incidents') {
    await link.focus();
    await page.keyboard.press('Enter');
  } else {
    // A large log: the incident is beyond the list's first page; open it by its address.
    await page.evaluate((id) => { location.hash = `#/incident/${id}`; }, sudzha.id);
  }
  await page.waitForSelector(`aside.panel:not([hidden]) article.finding[data-reading="ru"]`, { timeout: 15000 });
  check(page.url().endsWith(`#/incident/${sudzha.id}`), `the URL is ${page.url()}`);
  const found = await page.$$eval(`aside.panel section.agreement-findings[data-agreement="${ENERGY}"] article.finding`, (els) => els.map((e) => [e.dataset.reading, e.dataset.outcome]));
  const shown = Object.fromEntries(found);
  log(`panel findings: ${JSON.stringify(shown)} (${Date.now() - t0} ms)`);
  check(shown.ru && shown.ua, `the panel does not show findings under both ru and ua readings: ${JSON.stringify(shown)}`);
  check(shown.ru !== shown.ua, `the panel shows the same outcome under ru and ua: ${JSON.stringify(shown)}`);
  check(shown.ru === sudzha.out.ru && shown.ua === sudzha.out.ua, `the panel shows ${JSON.stringify(shown)}, the API ${JSON.stringify(sudzha.out)}`);
  const panelText = await page.textContent('aside.panel');
  // Every finding in words, with its standing: never a bare "breach" on an allegation.
  for (const f of sudzha.doc.findings) {
    const card = page.locator(`aside.panel section.agreement-findings[data-agreement="${f.agreement}"] article.finding[data-reading="${f.reading}"]`);
    check(await card.getAttribute('data-words') === f.words, `the ${f.reading} finding is not said as "${f.words}"`);
    check((await card.locator('p.words').textContent()).includes(f.words), `the ${f.reading} finding's badge does not say "${f.words}"`);
    for (const a of f.attributions) {
      const li = card.locator(`ul.attributions li[data-party="${a.party}"]`);
      const t = await li.textContent();
      const words = a.outcome === 'breach' ? `${a.standing} breach` : a.outcome.replace(/_/g, ' ');
      check(t.includes(words) && t.includes(`attribution ${a.grade}`) && t.includes(`standing ${a.standing}`),
        `the ${f.reading} finding does not show ${a.party}: ${words} (attribution ${a.grade}, standing ${a.standing}): ${t.replace(/\s+/g, ' ')}`);
    }
  }
  // Occurrence with its reasons; each attribution with its grade, standing and reasons.
  const inc = sudzha.doc.incident;
  check((await page.getAttribute('aside.panel dd.occurrence .badge.grade', 'data-grade')) === inc.occurrence, `the panel does not show occurrence ${inc.occurrence}`);
  for (const r of inc.grade_reasons) check(panelText.includes(r), `the panel does not give the occurrence reason "${r}"`);
  check(inc.alleged.length > 0, 'the Sudzha incident names nobody');
  for (const a of inc.alleged) {
    const li = page.locator(`aside.panel li.attribution[data-party="${a.party}"]`);
    check(await li.count() === 1, `the panel does not show the attribution to ${a.party}`);
    check(await li.getAttribute('data-attribution') === a.grade && await li.getAttribute('data-standing') === a.standing,
      `the attribution to ${a.party} is not shown as ${a.grade} / ${a.standing}`);
    const t = await li.textContent();
    for (const r of a.reasons) check(t.includes(r), `the attribution to ${a.party} does not give the reason "${r}"`);
  }
  // Monitors' review: state, quorum, tally, and every assessment with its officer and whether it counted.
  check(inc.reviews.length > 0, 'the Sudzha incident has no monitors\' review');
  for (const r of inc.reviews) {
    const sec = page.locator(`aside.panel section.review[data-question="${r.question}"][data-party="${r.party || ''}"]`);
    check(await sec.count() === 1, `the panel does not show the review of ${r.question} ${r.party || ''}`);
    check(await sec.getAttribute('data-state') === r.state, `the review of ${r.question} ${r.party || ''} is not shown as ${r.state}`);
    const t = await sec.textContent();
    check(t.includes(`quorum: ${r.quorum}`), `the review of ${r.question} ${r.party || ''} does not show its quorum ${r.quorum}`);
    for (const [v, k] of Object.entries(r.tally)) check(t.includes(`${k} ${v}`), `the review does not show the tally ${k} ${v}`);
    for (const a of r.assessments) {
      const li = sec.locator(`li.assessment[data-officer="${a.officer}"][data-counted="${a.counted}"]`);
      check(await li.count() >= 1, `the review does not show officer ${a.officer}'s assessment (counted: ${a.counted})`);
      check((await li.first().textContent()).includes(a.counted ? 'counted' : 'not counted'), `officer ${a.officer}'s assessment does not say whether it counted`);
    }
  }
  check(/Sudzha/.test(panelText), 'the panel does not show the Sudzha reports');
  check(await page.locator('aside.panel p.differs').count() > 0, 'the panel does not say that the outcome depends on the reading');
  check(await page.locator('aside.panel ol.reasons li').count() > 0, 'the panel shows no reasons');
  const live = await page.getAttribute('aside.panel .panel-status', 'aria-live');
  check(live === 'polite', 'the panel has no live status');
  const marked = await page.waitForSelector(`#map .inc-icon.open[title^="Incident ${sudzha.id}:"]`, { timeout: 15000 }).then(() => true, () => false);
  check(marked, 'the map does not show the opened incident\'s marker highlighted');
  await page.waitForTimeout(500); // let the map's zoom animation end before the screenshot
  await page.evaluate(() => { document.querySelector('aside.panel').scrollTop = 0; });
  await shot(page, 'incident');
  // Verify one entry's inclusion proof in the page.
  await page.locator('aside.panel ul.entries button.verify').first().click();
  await page.waitForFunction(() => {
    const o = document.querySelector('aside.panel ul.entries output.verdict');
    return o && /included|FAILED|could not/.test(o.textContent);
  }, null, { timeout: 15000 });
  const verdict = await page.textContent('aside.panel ul.entries output.verdict');
  check(verdict.includes('included'), `inclusion proof check in the page: ${verdict}`);

  // ── Agreements: readings diff and process ──
  await page.click('nav a[data-view="agreements"]');
  await page.waitForSelector('table.diff-table tr[data-aspect="start"]', { timeout: 15000 });
  const startRow = await page.textContent('table.diff-table tr[data-aspect="start"]');
  check(startRow.includes('2025-03-18') && startRow.includes('2025-03-25'),
    `the diff's start row does not list 2025-03-18 and 2025-03-25: ${startRow.replace(/\s+/g, ' ')}`);
  const ruStart = await page.textContent('table.diff-table tr[data-aspect="start"] td[data-reading="ru"]');
  const uaStart = await page.textContent('table.diff-table tr[data-aspect="start"] td[data-reading="ua"]');
  check(ruStart.includes('2025-03-18') && uaStart.includes('2025-03-25'), `ru start ${ruStart}, ua start ${uaStart}`);
  // The agreement's time zone, and every version of every reading from /v1/agreements/{id}/history, retroactive ones flagged.
  const agreementId = await page.inputValue('.agreement-select');
  const listed = (await api('/v1/agreements?limit=100')).items.find((a) => a.id === agreementId);
  const zoneText = await page.textContent('.diff .time-zone');
  check(listed && zoneText.includes(listed.time_zone), `the agreement's time zone ${listed && listed.time_zone} is not shown: ${zoneText}`);
  await page.waitForSelector('.history ol.versions li.version', { timeout: 15000 });
  const history = await api(`/v1/agreements/${encodeURIComponent(agreementId)}/history`);
  const versionsShown = await page.locator('.history ol.versions li.version').count();
  check(versionsShown === history.versions.length && versionsShown > 0, `versions shown ${versionsShown}, API ${history.versions.length}`);
  for (const v of history.versions) {
    const li = page.locator(`.history li.version[data-index="${v.index}"]`);
    const sentence = await li.locator('.sentence').textContent();
    check(sentence === v.sentence, `version ${v.index}: the page says "${sentence}", the API "${v.sentence}"`);
    check((await li.locator('.badge.retro').count()) === (v.retroactive ? 1 : 0), `version ${v.index}: retroactive flag shown wrongly`);
  }
  const retro = history.versions.find((v) => v.party === 'ru' && v.retroactive);
  check(retro && /^ru filed its first reading on 25 March 2025, effective from .* \(retroactive\)/.test(retro.sentence),
    `ru's retroactive first reading: ${retro && retro.sentence}`);
  // Extensions and conditions: for every agreement, the history's `events` as the API gives them (in log order: the sentence,
  // what it meant under each reading, retroactive and retracted flags, the findings changed under each reading), or the
  // empty state when there are none.
  const agreementIds = await page.$$eval('.agreement-select option', (os) => os.map((o) => o.value));
  const seen = { withEvents: [], without: [], retroactive: 0, changing: 0 };
  for (const id of agreementIds) {
    await page.selectOption('.agreement-select', id);
    const drawn = await page.waitForSelector(`.lifecycle[data-agreement="${id}"]`, { timeout: 15000 }).then(() => true, () => false);
    check(drawn, `the extensions and conditions of ${id} are not shown (no .lifecycle section drawn for it)`);
    const h = await api(`/v1/agreements/${encodeURIComponent(id)}/history`);
    check(Array.isArray(h.events), `/v1/agreements/${id}/history has no events list`);
    const lis = page.locator('.lifecycle ol.events li.event');
    const indexes = await lis.evaluateAll((els) => els.map((e) => Number(e.dataset.index)));
    check(JSON.stringify(indexes) === JSON.stringify(h.events.map((e) => e.index)),
      `${id}: events shown ${JSON.stringify(indexes)}, the API's ${JSON.stringify(h.events.map((e) => e.index))}`);
    const empty = page.locator('.lifecycle p.empty');
    if (!h.events.length) {
      check(await empty.count() === 1 && /no party has consented to extend/i.test(await empty.textContent()),
        `${id} has no extension or condition entry, and the page does not say so`);
      seen.without.push(id);
      continue;
    }
    check(await empty.count() === 0, `${id} has ${h.events.length} events, and the page says it has none`);
    seen.withEvents.push(id);
    for (const e of h.events) {
      const li = page.locator(`.lifecycle li.event[data-index="${e.index}"]`);
      check(await li.getAttribute('data-kind') === e.kind && await li.getAttribute('data-party') === e.party,
        `event ${e.index}: not shown as ${e.party}'s ${e.kind}`);
      const sentence = await li.locator('.sentence').textContent();
      check(sentence === e.sentence, `event ${e.index}: the page says "${sentence}", the API "${e.sentence}"`);
      check((await li.locator('.badge.retro').count()) === (e.retroactive ? 1 : 0), `event ${e.index}: retroactive flag shown wrongly`);
      check((await li.locator('.badge.retracted').count()) === (e.retracted ? 1 : 0), `event ${e.index}: retracted flag shown wrongly`);
      check(await li.locator('dl.under dd').count() === Object.keys(e.under).length, `event ${e.index}: not every reading's meaning is shown`);
      for (const [reading, words] of Object.entries(e.under)) {
        const dd = await li.locator(`dl.under dd[data-reading="${reading}"]`).textContent();
        check(dd === words, `event ${e.index} under ${reading}'s reading: the page says "${dd}", the API "${words}"`);
      }
      const changes = Object.entries(e.findings_changed).flatMap(([reading, cs]) => cs.map((c) => ({ reading, ...c })));
      const items = li.locator('details li[data-incident]');
      check(await items.count() === changes.length, `event ${e.index}: ${await items.count()} findings changed shown, the API ${changes.length}`);
      if (changes.length) {
        const summary = await li.locator('details summary').textContent();
        check(summary.startsWith(`${changes.length} finding`), `event ${e.index}: the summary says "${summary}" for ${changes.length} findings changed`);
      }
      for (const c of changes) {
        const item = li.locator(`details li[data-reading="${c.reading}"][data-incident="${c.incident}"]`);
        check(await item.count() === 1, `event ${e.index}: the change of ${c.incident} under ${c.reading}'s reading is not shown`);
        const t = await item.textContent();
        check(t.includes(c.day) && t.includes(`${c.before} → ${c.after}`),
          `event ${e.index}: ${c.incident} under ${c.reading}'s reading is shown as "${t}", the API ${c.before} → ${c.after} (${c.day})`);
      }
      if (e.retroactive) seen.retroactive += 1;
      if (changes.length) seen.changing += 1;
    }
  }
  log(`extensions and conditions: ${JSON.stringify(seen)}`);
  check(seen.withEvents.length > 0, 'no agreement shows an extension or condition event (dashboard.rs submits consents by ru and ua)');
  // The demo's agreements all have events since the Black Sea condition status: the empty state
  // is checked on the agreements that have none, when there are any.
  for (const a of seen.without) log(`agreement ${a}: the empty state of extensions and conditions is shown`);
  check(seen.retroactive > 0 && seen.changing > 0, 'no retroactive event, or none that changed a finding, was checked');
  // The findings an event changed open with the keyboard.
  await page.selectOption('.agreement-select', seen.withEvents[0]);
  await page.waitForSelector(`.lifecycle[data-agreement="${seen.withEvents[0]}"] li.event details summary`, { timeout: 15000 });
  await page.locator('.lifecycle li.event details summary').first().focus();
  await page.keyboard.press('Enter');
  check(await page.locator('.lifecycle li.event details[open]').count() === 1, 'Enter does not open the findings an event changed');
  await page.selectOption('.agreement-select', agreementId);
  await page.waitForSelector(`.lifecycle[data-agreement="${agreementId}"]`, { timeout: 15000 });
  await page.waitForSelector('ol.phases li.phase', { timeout: 15000 });
  await page.evaluate(() => window.scrollTo(0, 0));
  await shot(page, 'agreements');
  await page.locator('.lifecycle').scrollIntoViewIfNeeded();
  await shot(page, 'events');

  // ── Compliance, with the switch between readings ──
  await page.click('nav a[data-view="compliance"]');
  await page.waitForSelector('figure.chart svg', { timeout: 15000 });
  const before = await page.textContent('.charts');
  // Established breaches counted, corroborated apart, allegations apart: as the API's totals say.
  const comp = await api(`/v1/compliance?agreement=${ENERGY}&limit=1`);
  const shownReading = await page.getAttribute('.charts p.headline', 'data-reading');
  const totals = comp.totals.find((x) => x.reading === shownReading);
  check(totals, `no compliance totals for ${shownReading}'s reading`);
  const headline = await page.textContent('.charts p.headline');
  const sumOf = (k) => Object.values(totals.breaches_by_party).reduce((a, b) => a + (b[k] || 0), 0);
  const want = `established breaches: ${sumOf('established')} (corroborated: ${sumOf('corroborated')}); allegations of breach: ${sumOf('alleged')}`;
  check(headline.includes(want), `the compliance headline is "${headline.replace(/\s+/g, ' ')}", not "${want}"`);
  for (const [q, b] of Object.entries(totals.breaches_by_party)) {
    const fig = page.locator(`figure.chart[data-party="${q}"]`);
    const got = ['established', 'corroborated', 'alleged'].map(async (k) => Number(await fig.getAttribute(`data-${k}`)));
    const [e, c, al] = await Promise.all(got);
    check(e === (b.established || 0) && c === (b.corroborated || 0) && al === (b.alleged || 0),
      `the chart of ${q} counts ${e}/${c}/${al} (established/corroborated/alleged); the API ${JSON.stringify(b)}`);
  }
  const radios = page.locator('.reading-switch input[type=radio]');
  check(await radios.count() >= 2, 'the compliance view has no switch between readings');
  await page.locator('.reading-switch input[value="ua"]').check();
  await page.waitForFunction((b) => document.querySelector('.charts').textContent !== b, before, { timeout: 15000 });
  check((await page.textContent('.charts')).includes("ua's reading"), 'switching to ua did not redraw the charts');
  await page.locator('.reading-switch input[value="ru"]').check();
  await page.waitForFunction(() => document.querySelector('.charts').textContent.includes("ru's reading"), null, { timeout: 15000 });
  await shot(page, 'compliance');

  // ── Commitments and claims ──
  await page.click('nav a[data-view="commitments"]');
  await page.waitForSelector('article.commitment', { timeout: 15000 });
  const comm = await page.textContent('.commitments');
  check(/discrepancy/.test(comm) && comm.includes('23') && comm.includes('22'), 'the commitments view does not flag 23 promised / 22 delivered');
  check(await page.locator('article.claim-topic.contradiction blockquote.claim').count() >= 2, 'no contradictory claims side by side');
  await shot(page, 'commitments');

  // ── Log ──
  await page.click('nav a[data-view="log"]');
  await page.waitForSelector('pre.checkpoint', { timeout: 15000 });
  const cp = await (await fetch(`${BASE}/checkpoint`)).text();
  const size = cp.split('\n')[1];
  check((await page.textContent('.log-size')) === size, `the log view shows size ${await page.textContent('.log-size')}, the checkpoint ${size}`);
  check((await page.textContent('pre.checkpoint')).trim() === cp.trim(), 'the checkpoint text differs from /checkpoint');
  await shot(page, 'log');

  // ── Keyboard: the navigation is reachable with Tab ──
  await page.goto('about:blank');
  await page.goto(`${BASE}/#/map`, { waitUntil: 'load' });
  await mapReady(page);
  let reached = false;
  for (let k = 0; k < 10 && !reached; k++) {
    await page.keyboard.press('Tab');
    reached = await page.evaluate(() => document.activeElement?.matches('nav a[data-view]') ?? false);
  }
  check(reached, 'Tab does not reach the navigation');

  // ── A link to an incident opens it directly ──
  await page.goto('about:blank');
  await page.goto(`${BASE}/#/incident/${encodeURIComponent(sudzha.id)}`, { waitUntil: 'load' });
  await page.waitForSelector('aside.panel:not([hidden]) article.finding[data-reading="ua"]', { timeout: 30000 });
  // Marked in the list when the view lists its incidents; where it holds more than the map lists (cells), its cell is marked.
  const openMarked = await page.waitForFunction((id) => document.querySelector(`table.incidents tr.open[data-incident-id="${CSS.escape(id)}"]`)
    || document.querySelector('.inc-cell.open'), sudzha.id, { timeout: 15000 }).then(() => true, () => false);
  check(openMarked, 'the opened incident is marked neither in the list nor as its cell on the map');

  await browser.close();
  browser = null;
}

try {
  await main();
} catch (e) {
  failures.push(e.message);
} finally {
  if (browser) await browser.close().catch(() => {});
}
const largest = responses.reduce((a, r) => (r.bytes > a.bytes ? r : a), { url: '', bytes: 0 });
log(`${responses.length} responses, the largest ${largest.bytes} bytes (${largest.url})`);
const tooLarge = new Map(responses.filter((r) => r.bytes > MAX_RESPONSE_BYTES).map((r) => [r.url, r.bytes]));
for (const [url, bytes] of tooLarge) failures.push(`the page fetched ${bytes} bytes from ${url} (at most ${MAX_RESPONSE_BYTES})`);
const listed = responses.filter((r) => /^\/v1\/(incidents|findings|background)$/.test(new URL(r.url).pathname));
if (listed.length) failures.push(`the page fetched unbounded lists: ${[...new Set(listed.map((r) => r.url))].slice(0, 5).join(', ')}`);
if (external.length) failures.push(`requests to other hosts (blocked): ${[...new Set(external)].join(', ')}`);
if (consoleErrors.length) failures.push(`console errors:\n  ${consoleErrors.join('\n  ')}`);
if (failures.length) {
  console.error(`FAILED after ${t()}:\n- ${failures.join('\n- ')}`);
  process.exit(1);
}
log('all dashboard checks passed');
