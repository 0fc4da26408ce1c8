// Shared helpers of the dashboard: DOM building, escaping, time formatting, the visual vocabulary (occurrence and attribution grades, standings, outcomes in words), announcements.

/** Occurrence grades (did something happen there and then?), each with a colour AND a letter
 *  (colour is never the only signal). Okabe–Ito palette. */
export const OCCURRENCE = {
  reported: { colour: '#56b4e9', letter: 'R', label: 'reported (one origin)' },
  corroborated: { colour: '#e69f00', letter: 'C', label: 'corroborated (independent origins)' },
  verified: { colour: '#d55e00', letter: 'V', label: 'verified (monitors\' review)' },
  unverifiable: { colour: '#f0e442', letter: 'U', label: 'unverifiable (monitors\' review)' },
  dismissed: { colour: '#999999', letter: 'X', label: 'dismissed (monitors\' review)' },
  contested: { colour: '#cc79a7', letter: '≠', label: 'contested (monitors disagree, no quorum)' },
};

/** Attribution grades (did this party do it?), with the standing a breach on each basis has. */
export const ATTRIBUTION = {
  alleged: { standing: 'alleged', label: 'alleged: only the accuser\'s origin names the party' },
  disputed: { standing: 'alleged', label: 'disputed: origins name different perpetrators, or one denies it' },
  corroborated: { standing: 'corroborated', label: 'corroborated: an origin independent of the accuser names the same party' },
  admitted: { standing: 'established', label: 'admitted: the accused says it did it' },
  verified: { standing: 'established', label: 'verified by monitors\' review' },
  unverifiable: { standing: 'alleged', label: 'unverifiable: monitors could not verify it' },
  dismissed: { standing: 'alleged', label: 'dismissed by monitors\' review' },
  contested: { standing: 'alleged', label: 'contested: monitors disagree, no quorum' },
};

/** Standings: how well a finding stands (follows from the attribution). Strongest first. */
export const STANDINGS = {
  established: { colour: '#a01d00', label: 'established: monitors verified the attribution, or the party admitted it' },
  corroborated: { colour: '#e69f00', label: 'corroborated: an origin independent of the accuser names the party' },
  alleged: { colour: '#ffffff', label: 'alleged: one side\'s word (or a disputed, unverifiable, contested attribution)' },
};

/** Outcomes under a reading, in words with their standing (the engine's `words`): each with a
 *  shape, and for a breach an outline that says its standing (colour is never the only signal). */
export const OUTCOMES = {
  'established breach': { shape: 'triangle', outline: 'double', label: 'established breach' },
  'corroborated breach': { shape: 'triangle', outline: 'solid', label: 'corroborated breach' },
  'alleged breach': { shape: 'triangle', outline: 'dashed', label: 'alleged breach (an allegation)' },
  'no breach': { shape: 'circle', label: 'no breach' },
  'out of scope': { shape: 'square', label: 'out of scope' },
  undetermined: { shape: 'diamond', label: 'undetermined' },
  none: { shape: 'ring', label: 'not concerned (no finding)' },
};

/** The words of a finding or attribution: the engine's `words`, else from outcome and standing. */
export function wordsOf(f) {
  if (!f) return 'none';
  if (f.words) return f.words;
  if (f.outcome === 'breach') return `${f.standing || 'alleged'} breach`;
  return String(f.outcome || 'none').replace(/_/g, ' ');
}

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

/** The calendar day `YYYY-MM-DD` of an RFC 3339 instant in the chosen zone (daylight saving
 * included: a day across a change of the clocks lasts 23 or 25 hours). */
export function dayIn(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso).slice(0, 10);
  const p = Object.fromEntries(fmt().formatToParts(d).map((x) => [x.type, x.value]));
  return `${p.year}-${p.month}-${p.day}`;
}

/** Whether a string is an RFC 3339 instant. */
export function isInstant(s) { return typeof s === 'string' && /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)$/.test(s); }

/** Every calendar date from `a` to `b` inclusive (YYYY-MM-DD). */
export function daysBetween(a, b) {
  const out = [];
  if (!a || !b) return out;
  for (let t = Date.parse(a + 'T00:00:00Z'), end = Date.parse(b + 'T00:00:00Z'); t <= end; t += 86400000) {
    out.push(new Date(t).toISOString().slice(0, 10));
  }
  return out;
}

// ── marker shapes (inline SVG markup; no namespace needed inside HTML) ──

/** SVG markup of an incident symbol: shape = outcome in words, fill = occurrence grade, letter =
 *  occurrence grade; a breach's outline says its standing (dashed: alleged; solid: corroborated;
 *  double: established). */
export function symbol(occurrence, words, size = 26) {
  const g = OCCURRENCE[occurrence] || { colour: '#ffffff', letter: '' };
  const o = OUTCOMES[words] || OUTCOMES.none;
  const s = size, h = s / 2, m = 2;
  let path;
  switch (o.shape) {
    case 'triangle': path = `<polygon points="${h},${m} ${s - m},${s - m} ${m},${s - m}"/>`; break;
    case 'square': path = `<rect x="${m + 1}" y="${m + 1}" width="${s - 2 * m - 2}" height="${s - 2 * m - 2}"/>`; break;
    case 'diamond': path = `<polygon points="${h},${m} ${s - m},${h} ${h},${s - m} ${m},${h}"/>`; break;
    case 'ring': path = `<circle cx="${h}" cy="${h}" r="${h - m - 1}" stroke-dasharray="3 2"/>`; break;
    default: path = `<circle cx="${h}" cy="${h}" r="${h - m}"/>`;
  }
  let stroke = 'stroke="#1a1a1a" stroke-width="1.5"';
  let extra = '';
  if (o.outline === 'dashed') stroke = 'stroke="#1a1a1a" stroke-width="1.5" stroke-dasharray="3 2"';
  if (o.outline === 'solid') stroke = 'stroke="#1a1a1a" stroke-width="2.2"';
  if (o.outline === 'double') {
    stroke = 'stroke="#1a1a1a" stroke-width="2.2"';
    const k = 5; // an inner outline: a second triangle inside the first
    extra = `<polygon points="${h},${m + k + 1} ${s - m - k + 1},${s - m - k / 2} ${m + k - 1},${s - m - k / 2}" fill="none" stroke="#1a1a1a" stroke-width="1.2"/>`;
  }
  const ty = o.shape === 'triangle' ? s * 0.8 : h + 4;
  return `<svg class="sym" width="${s}" height="${s}" viewBox="0 0 ${s} ${s}" aria-hidden="true">` +
    `<g fill="${g.colour}" ${stroke}>${path}</g>${extra}` +
    `<text x="${h}" y="${ty}" text-anchor="middle" font-size="${Math.round(s * 0.4)}" font-weight="700" fill="#111">${g.letter}</text></svg>`;
}

/** An occurrence-grade badge: colour swatch + letter + word. */
export function gradeBadge(grade) {
  const g = OCCURRENCE[grade] || { colour: '#777', letter: '?' };
  return html`<span class="badge grade" data-grade="${grade}"><span class="swatch" style="background:${g.colour}">${g.letter}</span>${grade}</span>`;
}

/** An attribution-grade badge (the word, framed). */
export function attributionBadge(grade) {
  return html`<span class="badge attribution" data-attribution="${grade}" title="${(ATTRIBUTION[grade] || {}).label || grade}">${grade}</span>`;
}

/** A standing badge: established (dark), corroborated (amber), alleged (dashed, hollow). */
export function standingBadge(standing) {
  return html`<span class="badge standing standing-${standing}" data-standing="${standing}" title="${(STANDINGS[standing] || {}).label || standing}">${standing}</span>`;
}

/** An outcome badge: shape + the words ("alleged breach", "no breach"). */
export function outcomeBadge(words) {
  const o = OUTCOMES[words] || OUTCOMES.none;
  const label = OUTCOMES[words] ? words : (words === 'none' ? o.label : words);
  return html`<span class="badge outcome outcome-${String(words).replace(/ /g, '-')}" data-words="${words}">${raw(symbol(null, words, 16))}${label}</span>`;
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

// ── scale ──

/** `f` called once `ms` after the last of a burst of calls (the map's moves, the slider's steps). */
export function debounce(f, ms) {
  let t = null;
  return (...args) => { clearTimeout(t); t = setTimeout(() => { t = null; f(...args); }, ms); };
}

/** How many Web-Mercator (slippy) tiles of zoom `z` the box `[w, s, e, n]` touches, edges included. */
export function tileCount([w, s, e, n], z) {
  const k = 2 ** z;
  const clamp = (v) => Math.min(k - 1, Math.max(0, Math.floor(v)));
  const x = (lon) => clamp(((lon + 180) / 360) * k);
  const y = (lat) => {
    const r = (Math.max(-85.0511, Math.min(85.0511, lat)) * Math.PI) / 180;
    return clamp(((1 - Math.asinh(Math.tan(r)) / Math.PI) / 2) * k);
  };
  return (x(e) - x(w) + 1) * (y(s) - y(n) + 1);
}

/** A count in few characters: 950, 1.2k, 12k, 1.3M. */
export function compactCount(n) {
  if (n < 1000) return String(n);
  if (n < 10000) return `${(n / 1000).toFixed(1).replace(/\.0$/, '')}k`;
  if (n < 1000000) return `${Math.round(n / 1000)}k`;
  return `${(n / 1000000).toFixed(1).replace(/\.0$/, '')}M`;
}
