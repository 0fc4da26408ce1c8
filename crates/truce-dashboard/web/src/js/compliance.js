// The compliance view: per party per day under one reading, established and corroborated breaches (one stacked bar, told apart by colour and pattern) and allegations of breach apart (a hollow dashed bar beside it, never added to the breaches), the totals with the same split, a switch between readings, and the incidents whose outcome depends on the reading.

import { $, $$, html, raw, esc, setHTML, announce, STANDINGS, daysBetween } from './util.js';
import { all } from './api.js';
import { agreements } from './data.js';

let section = null;
let reading = null;
/** Rows of the differences table shown at most. */
const MAX_DIFFS = 300;

/** Breaches by standing that count as breaches, strongest first (drawn stacked). */
const COUNTED = ['established', 'corroborated'];
const PATTERNS = { established: '', corroborated: 'diag' };

export async function mount(s) {
  section = s;
  setHTML(s, html`<h2>Compliance by party and day</h2>
    <p class="meta">Breaches are counted by standing: <b>established</b> (monitors verified the attribution, or the party admitted it) and, apart, <b>corroborated</b> (an origin independent of the accuser names the party). <b>Alleged</b> breaches (one side's word, or a disputed, unverifiable or contested attribution) are shown as allegations of breach and never added to them. Each finding counts on the day its incident's evidence starts, in the agreement's time zone (UTC unless the agreement states one), whatever zone the times are shown in.</p>
    <label>Agreement <select class="agreement-select"></select></label>
    <div class="reading-switch" role="radiogroup" aria-label="Whose reading"></div>
    <div class="charts" aria-live="polite"></div>
    <h3>Incidents whose outcome depends on the reading</h3>
    <div class="differences"></div>`);
  const sel = $('.agreement-select', s);
  const ags = (await agreements()).filter((a) => a.readings.length);
  for (const a of ags) sel.append(new Option(a.title, a.id));
  sel.addEventListener('change', () => { reading = null; draw(); });
}

export async function show() { await draw(); }
export function refresh() { draw(); }

const n = (m, k) => (m && m[k]) || 0;

/** `established breaches: N (corroborated: M); allegations of breach: K`. */
function headline(by) {
  return `established breaches: ${n(by, 'established')} (corroborated: ${n(by, 'corroborated')}); allegations of breach: ${n(by, 'alleged')}`;
}

async function draw() {
  const id = $('.agreement-select', section).value;
  const ag = (await agreements()).find((a) => a.id === id);
  if (!ag) { setHTML($('.charts', section), html`<p>No agreement has readings yet.</p>`); return; }
  if (!reading || !ag.readings.includes(reading)) reading = ag.readings[0];
  const sw = $('.reading-switch', section);
  setHTML(sw, html`<span class="label">Reading:</span>${ag.readings.map((r) => html`<label class="seg"><input type="radio" name="reading" value="${r}" ${raw(r === reading ? 'checked' : '')}> ${r}'s reading</label>`)}`);
  for (const input of $$('input', sw)) {
    input.addEventListener('change', () => { reading = input.value; draw(); announce(`Compliance under ${reading}'s reading`); });
  }

  const everything = await all('/v1/compliance', { agreement: id });
  const rows = everything.items;
  const days = daysBetween(...(() => { const d = rows.map((r) => r.day).sort(); return [d[0], d[d.length - 1]]; })());
  const mine = rows.filter((r) => r.reading === reading);
  const partiesCounted = [...new Set(rows.map((r) => r.party))].sort();
  const total = (everything.first.totals || []).find((t) => t.reading === reading);
  const max = Math.max(1, ...rows.map((r) => Math.max(
    n(r.breaches_by_standing, 'established') + n(r.breaches_by_standing, 'corroborated'),
    n(r.breaches_by_standing, 'alleged'))));

  const byParty = (total && total.breaches_by_party) || {};
  const sum = Object.values(byParty).reduce((acc, b) => {
    for (const k of Object.keys(STANDINGS)) acc[k] = (acc[k] || 0) + n(b, k);
    return acc;
  }, {});
  const others = total ? ['no_breach', 'out_of_scope', 'undetermined'].map((o) => `${n(total.outcomes, o)} ${o.replace(/_/g, ' ')}`).join(', ') : '';
  const charts = partiesCounted.map((p) => chart(p, days, mine.filter((r) => r.party === p), max));
  setHTML($('.charts', section), html`
    <p class="headline" data-reading="${reading}">Under <b>${reading}'s reading</b>: ${total ? html`<b>${headline(sum)}</b>; findings with no breach, out of scope or undetermined: ${others}` : 'nothing counted'}.</p>
    ${total && Object.keys(byParty).length ? html`<ul class="party-headlines">${Object.entries(byParty).map(([q, b]) => html`<li data-party="${q}"><b>${q}</b>: ${headline(b)}</li>`)}</ul>` : ''}
    ${raw(`<svg class="defs" width="0" height="0" aria-hidden="true" focusable="false"><defs>${patternDefs()}</defs></svg>`)}
    ${legend()}
    <div class="chart-grid">${charts}</div>`);

  const allDiffs = everything.first.differences || [];
  const diffs = allDiffs.slice(0, MAX_DIFFS);
  const said = (d, r) => (d.words && d.words[r]) || (d.outcomes[r] ? d.outcomes[r].replace(/_/g, ' ') : '—');
  setHTML($('.differences', section), diffs.length ? html`${allDiffs.length > MAX_DIFFS ? html`<p>The first ${MAX_DIFFS} of ${allDiffs.length} (the map's filters by reading and outcome show them all).</p>` : html`<p>${allDiffs.length} incident(s).</p>`}<div class="table-wrap"><table class="differences-table">
      <thead><tr><th scope="col">Incident</th><th scope="col">Day</th>${ag.readings.map((r) => html`<th scope="col">${r}'s reading</th>`)}</tr></thead>
      <tbody>${diffs.map((d) => html`<tr><th scope="row"><a href="#/incident/${d.incident}">${d.incident}</a></th><td>${d.day}</td>${ag.readings.map((r) => html`<td>${said(d, r)}</td>`)}</tr>`)}</tbody></table></div>`
    : html`<p>None: every reading gives the same outcomes.</p>`);
}

function patternDefs() {
  return COUNTED.map((g) => {
    const marks = PATTERNS[g] === 'diag' ? '<path d="M0,6 L6,0" stroke="#000" stroke-width="1.2" opacity=".55"/>' : '';
    return `<pattern id="pat-${g}" width="6" height="6" patternUnits="userSpaceOnUse"><rect width="6" height="6" fill="${STANDINGS[g].colour}"/>${marks}</pattern>`;
  }).join('');
}

function legend() {
  return html`<ul class="chart-legend" aria-label="Standings">
    <li><svg width="18" height="14" aria-hidden="true"><rect width="18" height="14" fill="url(#pat-established)" stroke="#333"/></svg> established breaches</li>
    <li><svg width="18" height="14" aria-hidden="true"><rect width="18" height="14" fill="url(#pat-corroborated)" stroke="#333"/></svg> corroborated breaches (hatched)</li>
    <li><svg width="18" height="14" aria-hidden="true"><rect x="1" y="1" width="16" height="12" fill="none" stroke="#333" stroke-dasharray="3 2"/></svg> allegations of breach (hollow, dashed: not added to the others)</li>
    <li>○ a no-breach finding that day, ◇ an undetermined one</li></ul>`;
}

function chart(party, days, rows, max) {
  const byDay = new Map(rows.map((r) => [r.day, r]));
  const W = 560, H = 150, left = 28, bottom = 22, top = 8;
  const count = Math.max(1, days.length);
  const bw = (W - left - 4) / count;
  const y = (v) => top + (H - top - bottom) * (1 - v / max);
  let bars = '';
  days.forEach((d, k) => {
    const r = byDay.get(d);
    if (!r) return;
    const b = r.breaches_by_standing || {};
    let acc = 0;
    for (const g of COUNTED) {
      const v = n(b, g);
      if (!v) continue;
      bars += `<rect x="${(left + k * bw + bw * 0.1).toFixed(1)}" y="${y(acc + v).toFixed(1)}" width="${(bw * 0.45).toFixed(1)}" height="${(y(acc) - y(acc + v)).toFixed(1)}" fill="url(#pat-${g})" stroke="#333" stroke-width=".6"><title>${esc(d)}: ${v} ${g} breach(es)</title></rect>`;
      acc += v;
    }
    const al = n(b, 'alleged');
    if (al) {
      bars += `<rect x="${(left + k * bw + bw * 0.6).toFixed(1)}" y="${y(al).toFixed(1)}" width="${(bw * 0.3).toFixed(1)}" height="${(y(0) - y(al)).toFixed(1)}" fill="none" stroke="#333" stroke-width="1" stroke-dasharray="3 2" class="allegations"><title>${esc(d)}: ${al} allegation(s) of breach</title></rect>`;
    }
    const other = ['no_breach', 'out_of_scope', 'undetermined'].map((o) => `${n(r.outcomes, o)} ${o.replace(/_/g, ' ')}`).join(', ');
    bars += `<rect x="${(left + k * bw).toFixed(1)}" y="${top}" width="${bw.toFixed(1)}" height="${H - top - bottom}" fill="transparent"><title>${esc(d)}: ${headline(b)}; ${other}</title></rect>`;
    if (n(r.outcomes, 'no_breach') + n(r.outcomes, 'undetermined') > 0) {
      bars += `<text x="${(left + k * bw + bw / 2).toFixed(1)}" y="${(y(Math.max(acc, al)) - 3).toFixed(1)}" text-anchor="middle" font-size="9" fill="#333">${r.outcomes.no_breach ? '○' : ''}${r.outcomes.undetermined ? '◇' : ''}</text>`;
    }
  });
  const ticks = [0, max].map((v) => `<text x="${left - 4}" y="${y(v) + 3}" text-anchor="end" font-size="10">${v}</text><line x1="${left}" x2="${W}" y1="${y(v)}" y2="${y(v)}" stroke="#ccc"/>`).join('');
  const step = Math.max(1, Math.ceil(count / 8));
  const labels = days.map((d, k) => (k % step === 0 ? `<text x="${(left + k * bw + bw / 2).toFixed(1)}" y="${H - 6}" text-anchor="middle" font-size="10">${esc(d.slice(5))}</text>` : '')).join('');
  const tot = rows.reduce((acc, r) => {
    for (const k of Object.keys(STANDINGS)) acc[k] = (acc[k] || 0) + n(r.breaches_by_standing, k);
    return acc;
  }, {});
  const table = rows.map((r) => html`<tr><th scope="row">${r.day}</th>${Object.keys(STANDINGS).map((g) => html`<td>${n(r.breaches_by_standing, g)}</td>`)}<td>${n(r.outcomes, 'no_breach')}</td><td>${n(r.outcomes, 'out_of_scope')}</td><td>${n(r.outcomes, 'undetermined')}</td></tr>`);
  return html`<figure class="chart" data-party="${party}" data-established="${n(tot, 'established')}" data-corroborated="${n(tot, 'corroborated')}" data-alleged="${n(tot, 'alleged')}">
    <figcaption><b>${party}</b> under ${reading}'s reading: ${headline(tot)} (per day: solid, established; hatched, corroborated; dashed, allegations)</figcaption>
    ${raw(`<svg viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(party)} under ${esc(reading)}'s reading, per day: ${headline(tot)}">${ticks}${bars}${labels}</svg>`)}
    <details><summary>The numbers</summary><div class="table-wrap"><table class="numbers"><thead><tr><th scope="col">Day</th><th scope="col">established breaches</th><th scope="col">corroborated breaches</th><th scope="col">allegations of breach</th><th scope="col">no breach</th><th scope="col">out of scope</th><th scope="col">undetermined</th></tr></thead><tbody>${table}</tbody></table></div></details>
  </figure>`;
}
