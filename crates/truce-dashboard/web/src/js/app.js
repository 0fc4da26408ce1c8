// Entry point of the dashboard: the hash router (#/map, #/incident/<id>, #/agreements, #/compliance, #/commitments, #/log), the navigation and the time-zone switch.

import { $, $$, ZONES, timeZone, setTimeZone, announce } from './util.js';
import { get } from './api.js';
import * as mapView from './map.js';
import * as agreementsView from './agreements.js';
import * as complianceView from './compliance.js';
import * as commitmentsView from './commitments.js';
import * as logView from './log.js';

const VIEWS = {
  map: { module: mapView, title: 'Map' },
  agreements: { module: agreementsView, title: 'Agreements' },
  compliance: { module: complianceView, title: 'Compliance' },
  commitments: { module: commitmentsView, title: 'Commitments & claims' },
  log: { module: logView, title: 'Log' },
};

const mounted = new Map();
let current = null;
let first = true; // the first route after loading leaves the focus where the browser put it

/** `#/incident/abc` → { view: 'map', incident: 'abc' }. */
function parseHash() {
  const parts = location.hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  if (parts[0] === 'incident' && parts[1]) return { view: 'map', incident: parts[1] };
  if (VIEWS[parts[0]]) return { view: parts[0] };
  return { view: 'map' };
}

async function route() {
  const r = parseHash();
  const main = $('#view');
  const loading = $('.loading', main);
  if (loading) loading.remove();
  const changed = current !== r.view;
  for (const [name, m] of mounted) m.section.hidden = name !== r.view;
  let m = mounted.get(r.view);
  if (!m) {
    const section = document.createElement('section');
    section.id = `view-${r.view}`;
    section.className = `view view-${r.view}`;
    section.setAttribute('aria-label', VIEWS[r.view].title);
    main.append(section);
    m = { section, view: VIEWS[r.view].module };
    mounted.set(r.view, m);
    await m.view.mount(section);
  }
  current = r.view;
  for (const a of $$('nav a[data-view]')) {
    if (a.dataset.view === r.view) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  document.title = `${VIEWS[r.view].title} · Truce dashboard`;
  await m.view.show(r);
  if (changed && !first) {
    announce(`${VIEWS[r.view].title} view`);
    if (!r.incident) main.focus({ preventScroll: true });
  }
  first = false;
}

function setupTimeZone() {
  const sel = $('#tz');
  for (const [z, label] of ZONES) {
    const o = document.createElement('option');
    o.value = z; o.textContent = label; o.selected = z === timeZone();
    sel.append(o);
  }
  sel.addEventListener('change', () => {
    setTimeZone(sel.value);
    for (const m of mounted.values()) m.view.refresh?.();
    announce(`Times now shown in ${sel.selectedOptions[0].textContent}`);
  });
}

async function showLogSize() {
  try {
    const w = await get('/v1/witnesses');
    $('#logsize').textContent = `log size ${w.latest_size}`;
  } catch { /* the log view says more */ }
}

function start() {
  setupTimeZone();
  window.addEventListener('hashchange', () => route().catch(fail));
  if (!location.hash) history.replaceState(null, '', '#/map');
  route().catch(fail);
  showLogSize();
}

function fail(e) {
  const main = $('#view');
  const p = document.createElement('p');
  p.className = 'error';
  p.setAttribute('role', 'alert');
  p.textContent = `Something went wrong: ${e.message}`;
  main.prepend(p);
}

start();
