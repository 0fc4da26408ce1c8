// Shared helpers of the dashboard: DOM building, escaping, time formatting, the visual vocabulary (grades, outcomes), announcements.

/** Grades, each with a colour AND a letter (colour is never the only signal). Okabe–Ito palette. */
export const GRADES = {
  reported: { colour: '#56b4e9', letter: 'R', label: 'reported (one side)' },
  corroborated: { colour: '#e69f00', letter: 'C', label: 'corroborated (independent sides)' },
  disputed: { colour: '#cc79a7', letter: 'D', label: 'disputed' },
  verified: { colour: '#d55e00', letter: 'V', label: 'verified by a monitor' },
  unverifiable: { colour: '#f0e442', letter: 'U', label: 'unverifiable (monitor)' },
  dismissed: { colour: '#999999', letter: 'X', label: 'dismissed (monitor)' },
};

/** Outcomes under a reading, each with a shape and a word. */
export const OUTCOMES = {
  breach: { shape: 'triangle', label: 'breach' },
  no_breach: { shape: 'circle', label: 'no breach' },
  out_of_scope: { shape: 'square', label: 'out of scope' },
  undetermined: { shape: 'diamond', label: 'undetermined' },
  none: { shape: 'ring', label: 'not concerned (no finding)' },
};

export const ACTS = ['strike', 'drone-strike', 'missile-strike', 'shelling', 'sabotage',
  'attack-on-vessels', 'ground-assault', 'fire-observed', 'violence'];

/** Escapes text for HTML (and SVG) markup. */
export function esc(s) {
  return String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
}

/** Tagged template: interpolations are escaped unless wrapped with raw(). */
export function html(strings, ...values) {
  let out = '';
  strings.forEach((s, i) => {
    out += s;
    if (i < values.length) out += render(values[i]);
  });
  return new Raw(out);
}
class Raw { constructor(s) { this.s = s; } toString() { return this.s; } }
export function raw(s) { return new Raw(String(s)); }
function render(v) {
  if (v instanceof Raw) return v.s;
  if (Array.isArray(v)) return v.map(render).join('');
  if (v === null || v === undefined || v === false) return '';
  return esc(v);
}

/** Puts markup into an element. */
export function setHTML(el, markup) { el.innerHTML = String(markup); }

export const $ = (sel, root = document) => root.querySelector(sel);
export const $$ = (sel, root = document) => [...root.querySelectorAll(sel)];

/** Says something to screen readers (the live region in the header). */
export function announce(text) {
  const r = document.getElementById('announcer');
  if (r) { r.textContent = ''; setTimeout(() => { r.textContent = text; }, 30); }
}

// ── time ──

/** Time zones offered; the scenario's texts count days in UTC+3 (Moscow; Kyiv in summer). */
export const ZONES = [
  ['Etc/GMT-3', 'UTC+3'],
  ['UTC', 'UTC'],
  ['Europe/Kyiv', 'Kyiv'],
  ['Europe/Moscow', 'Moscow'],
  ['local', 'this computer'],
];
let zone = localStorage.getItem('truce.tz') || 'Etc/GMT-3';
export function timeZone() { return zone; }
export function setTimeZone(z) { zone = z; localStorage.setItem('truce.tz', z); }
export function zoneLabel() { return (ZONES.find(([z]) => z === zone) || [zone, zone])[1]; }

const fmtCache = new Map();
function fmt() {
  if (!fmtCache.has(zone)) {
    const opts = { year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' };
    if (zone !== 'local') opts.timeZone = zone;
    fmtCache.set(zone, new Intl.DateTimeFormat('en-CA', opts));
  }
  return fmtCache.get(zone);
}

/** An RFC 3339 instant shown as `YYYY-MM-DD HH:MM` in the chosen zone, with the zone's name. */
export function when(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  const p = Object.fromEntries(fmt().formatToParts(d).map((x) => [x.type, x.value]));
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute} ${zoneLabel()}`;
}

/** Whether a string is an RFC 3339 instant. */
export function isInstant(s) { return typeof s === 'string' && /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)$/.test(s); }

/** Every UTC day from `a` to `b` inclusive (YYYY-MM-DD). */
export function daysBetween(a, b) {
  const out = [];
  if (!a || !b) return out;
  for (let t = Date.parse(a + 'T00:00:00Z'), end = Date.parse(b + 'T00:00:00Z'); t <= end; t += 86400000) {
    out.push(new Date(t).toISOString().slice(0, 10));
  }
  return out;
}

// ── marker shapes (inline SVG markup; no namespace needed inside HTML) ──

/** SVG markup of an incident symbol: shape = outcome, fill = grade, letter = grade. */
export function symbol(grade, outcome, size = 26) {
  const g = GRADES[grade] || { colour: '#ffffff', letter: '' };
  const shape = (OUTCOMES[outcome] || OUTCOMES.none).shape;
  const s = size, h = s / 2, m = 2;
  let path;
  switch (shape) {
    case 'triangle': path = `<polygon points="${h},${m} ${s - m},${s - m} ${m},${s - m}"/>`; break;
    case 'square': path = `<rect x="${m + 1}" y="${m + 1}" width="${s - 2 * m - 2}" height="${s - 2 * m - 2}"/>`; break;
    case 'diamond': path = `<polygon points="${h},${m} ${s - m},${h} ${h},${s - m} ${m},${h}"/>`; break;
    case 'ring': path = `<circle cx="${h}" cy="${h}" r="${h - m - 1}" stroke-dasharray="3 2"/>`; break;
    default: path = `<circle cx="${h}" cy="${h}" r="${h - m}"/>`;
  }
  const ty = shape === 'triangle' ? s * 0.78 : h + 4;
  return `<svg class="sym" width="${s}" height="${s}" viewBox="0 0 ${s} ${s}" aria-hidden="true">` +
    `<g fill="${g.colour}" stroke="#1a1a1a" stroke-width="1.5">${path}</g>` +
    `<text x="${h}" y="${ty}" text-anchor="middle" font-size="${Math.round(s * 0.42)}" font-weight="700" fill="#111">${g.letter}</text></svg>`;
}

/** A grade badge: colour swatch + letter + word. */
export function gradeBadge(grade) {
  const g = GRADES[grade] || { colour: '#777', letter: '?' };
  return html`<span class="badge grade" data-grade="${grade}"><span class="swatch" style="background:${g.colour}">${g.letter}</span>${grade}</span>`;
}

/** An outcome badge: shape + word. */
export function outcomeBadge(outcome) {
  const o = OUTCOMES[outcome] || OUTCOMES.none;
  return html`<span class="badge outcome outcome-${outcome}" data-outcome="${outcome}">${raw(symbol(null, outcome, 16))}${o.label}</span>`;
}

/** Site categories: a letter and a colour for each family. */
export function siteStyle(category) {
  const c = String(category || '');
  const fam = [
    ['energy.power', 'P', '#e69f00', 'power'], ['energy.hydro', 'H', '#0072b2', 'hydro / dams'],
    ['energy.nuclear', 'N', '#d55e00', 'nuclear'], ['energy.gas', 'G', '#009e73', 'gas'],
    ['energy.oil', 'O', '#6b4c2a', 'oil'], ['energy', 'E', '#e69f00', 'energy (other)'],
    ['transport', 'T', '#555555', 'transport'], ['water', 'W', '#56b4e9', 'water'],
    ['telecom', 'C', '#cc79a7', 'telecom'],
  ].find(([p]) => c === p || c.startsWith(p + '.'));
  return fam ? { letter: fam[1], colour: fam[2], family: fam[3] } : { letter: '•', colour: '#444', family: 'other' };
}

/** A link to an entry's inclusion proof, with a verify button (handled by proof.js). */
export function entryRef(index) {
  if (index === undefined || index === null) return '';
  return html`<span class="entry-ref">entry <a href="/v1/entries/${index}" title="The entry's exact bytes">#${index}</a>
    <a href="/v1/proof/inclusion?index=${index}" title="Inclusion proof of entry ${index} (JSON)">proof</a>
    <button type="button" class="verify" data-index="${index}" aria-label="Verify the inclusion proof of entry ${index}">verify</button><output class="verdict" data-for="${index}"></output></span>`;
}
