// The compliance view: per party per day, breaches by grade (stacked bars drawn as inline SVG, grades told apart by colour and pattern), outcome totals, a switch between readings, and the incidents whose outcome depends on the reading.

import { $, $$, html, raw, setHTML, announce, GRADES, daysBetween } from './util.js';
import { all } from './api.js';
import { agreements } from './data.js';

let section = null;
let reading = null;
/** Rows of the differences table shown at most. */
const MAX_DIFFS = 300;

const PATTERNS = {
  reported: '', corroborated: 'diag', disputed: 'dots', verified: 'cross', unverifiable: 'hz', dismissed: 'vt',
};

export async function mount(s) {
  section = s;
  setHTML(s, html`<h2>Compliance by party and day</h2>
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
  const max = Math.max(1, ...rows.map((r) => Object.values(r.breaches_by_grade).reduce((a, b) => a + b, 0)));

  const charts = partiesCounted.map((p) => chart(p, days, mine.filter((r) => r.party === p), max));
  setHTML($('.charts', section), html`
    <p>Under <b>${reading}'s reading</b>: ${total ? Object.entries(total.outcomes).map(([o, n]) => `${n} ${o.replace(/_/g, ' ')}`).join(', ') : 'nothing counted'}${total && total.breaches_by_party ? `; breaches by party: ${Object.entries(total.breaches_by_party).map(([q, n]) => `${q} ${n}`).join(', ')}` : ''}.</p>
    ${raw(`<svg class="defs" width="0" height="0" aria-hidden="true" focusable="false"><defs>${patternDefs()}</defs></svg>`)}
    ${legend()}
    <div class="chart-grid">${charts}</div>`);

  const allDiffs = everything.first.differences || [];
  const diffs = allDiffs.slice(0, MAX_DIFFS);
  setHTML($('.differences', section), diffs.length ? html`${allDiffs.length > MAX_DIFFS ? html`<p>The first ${MAX_DIFFS} of ${allDiffs.length} (the map's filters by reading and outcome show them all).</p>` : html`<p>${allDiffs.length} incident(s).</p>`}<div class="table-wrap"><table class="differences-table">
      <thead><tr><th scope="col">Incident</th><th scope="col">Day</th>${ag.readings.map((r) => html`<th scope="col">${r}'s reading</th>`)}</tr></thead>
      <tbody>${diffs.map((d) => html`<tr><th scope="row"><a href="#/incident/${d.incident}">${d.incident}</a></th><td>${d.day}</td>${ag.readings.map((r) => html`<td>${(d.outcomes[r] || '—').replace(/_/g, ' ')}</td>`)}</tr>`)}</tbody></table></div>`
    : html`<p>None: every reading gives the same outcomes.</p>`);
}

function patternDefs() {
  return Object.entries(GRADES).map(([g, v]) => {
    const k = PATTERNS[g];
    let marks = '';
    if (k === 'diag') marks = '<path d="M0,6 L6,0" stroke="#000" stroke-width="1.2" opacity=".55"/>';
    if (k === 'dots') marks = '<circle cx="3" cy="3" r="1.2" fill="#000" opacity=".6"/>';
    if (k === 'cross') marks = '<path d="M0,0 L6,6 M6,0 L0,6" stroke="#000" stroke-width="1" opacity=".55"/>';
    if (k === 'hz') marks = '<path d="M0,3 L6,3" stroke="#000" stroke-width="1.2" opacity=".55"/>';
    if (k === 'vt') marks = '<path d="M3,0 L3,6" stroke="#000" stroke-width="1.2" opacity=".55"/>';
    return `<pattern id="pat-${g}" width="6" height="6" patternUnits="userSpaceOnUse"><rect width="6" height="6" fill="${v.colour}"/>${marks}</pattern>`;
  }).join('');
}

function legend() {
  return html`<ul class="chart-legend" aria-label="Grades">${Object.entries(GRADES).map(([g, v]) => html`<li><svg width="18" height="14" aria-hidden="true"><rect width="18" height="14" fill="url(#pat-${g})" stroke="#333"/></svg> <b>${v.letter}</b> ${g}</li>`)}</ul>`;
}

function chart(party, days, rows, max) {
  const byDay = new Map(rows.map((r) => [r.day, r]));
  const W = 560, H = 150, left = 28, bottom = 22, top = 8;
  const n = Math.max(1, days.length);
  const bw = (W - left - 4) / n;
  const y = (v) => top + (H - top - bottom) * (1 - v / max);
  let bars = '';
  days.forEach((d, k) => {
    const r = byDay.get(d);
    if (!r) return;
    let acc = 0;
    for (const g of Object.keys(GRADES)) {
      const v = r.breaches_by_grade[g] || 0;
      if (!v) continue;
      bars += `<rect x="${(left + k * bw + bw * 0.15).toFixed(1)}" y="${y(acc + v).toFixed(1)}" width="${(bw * 0.7).toFixed(1)}" height="${(y(acc) - y(acc + v)).toFixed(1)}" fill="url(#pat-${g})" stroke="#333" stroke-width=".6"><title>${d}: ${v} breach(es) graded ${g}</title></rect>`;
      acc += v;
    }
    const other = ['no_breach', 'out_of_scope', 'undetermined'].map((o) => `${r.outcomes[o] || 0} ${o.replace(/_/g, ' ')}`).join(', ');
    bars += `<rect x="${(left + k * bw).toFixed(1)}" y="${top}" width="${bw.toFixed(1)}" height="${H - top - bottom}" fill="transparent"><title>${d}: ${r.outcomes.breach || 0} breach, ${other}</title></rect>`;
    if ((r.outcomes.no_breach || 0) + (r.outcomes.undetermined || 0) > 0) {
      bars += `<text x="${(left + k * bw + bw / 2).toFixed(1)}" y="${(y(acc) - 3).toFixed(1)}" text-anchor="middle" font-size="9" fill="#333">${r.outcomes.no_breach ? '○' : ''}${r.outcomes.undetermined ? '◇' : ''}</text>`;
    }
  });
  const ticks = [0, max].map((v) => `<text x="${left - 4}" y="${y(v) + 3}" text-anchor="end" font-size="10">${v}</text><line x1="${left}" x2="${W}" y1="${y(v)}" y2="${y(v)}" stroke="#ccc"/>`).join('');
  const step = Math.max(1, Math.ceil(n / 8));
  const labels = days.map((d, k) => (k % step === 0 ? `<text x="${(left + k * bw + bw / 2).toFixed(1)}" y="${H - 6}" text-anchor="middle" font-size="10">${d.slice(5)}</text>` : '')).join('');
  const totalB = rows.reduce((a, r) => a + (r.outcomes.breach || 0), 0);
  const table = rows.map((r) => html`<tr><th scope="row">${r.day}</th>${Object.keys(GRADES).map((g) => html`<td>${r.breaches_by_grade[g] || 0}</td>`)}<td>${r.outcomes.no_breach}</td><td>${r.outcomes.out_of_scope}</td><td>${r.outcomes.undetermined}</td></tr>`);
  return html`<figure class="chart" data-party="${party}">
    <figcaption><b>${party}</b>: ${totalB} breach(es) attributed under ${reading}'s reading (bars: breaches per day by grade; ○ no-breach, ◇ undetermined days)</figcaption>
    ${raw(`<svg viewBox="0 0 ${W} ${H}" role="img" aria-label="Breaches attributed to ${party} per day by grade, ${totalB} in all">${ticks}${bars}${labels}</svg>`)}
    <details><summary>The numbers</summary><div class="table-wrap"><table class="numbers"><thead><tr><th scope="col">Day</th>${Object.keys(GRADES).map((g) => html`<th scope="col">breach, ${g}</th>`)}<th scope="col">no breach</th><th scope="col">out of scope</th><th scope="col">undetermined</th></tr></thead><tbody>${table}</tbody></table></div></details>
  </figure>`;
}
