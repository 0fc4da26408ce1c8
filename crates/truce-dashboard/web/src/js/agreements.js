// The agreements view: an agreement's readings side by side (the readings diff, differences marked), the time zone its days are
// counted in, every version of every party's reading with what it changed (`/v1/agreements/{id}/history`: one sentence each,
// retroactive versions flagged, the findings each changed), every consent to extend the agreement and every status of a
// condition its readings list (the same document's `events`: the sentence, what it meant under each reading, retroactive and
// retracted ones flagged, the findings each changed under each reading) and the peace process's phases.

import { $, html, setHTML, when, isInstant, entryRef } from './util.js';
import { get } from './api.js';
import { agreements, parties } from './data.js';
import { wireVerifyButtons } from './proof.js';

let section = null;

export async function mount(s) {
  section = s;
  wireVerifyButtons(s);
  setHTML(s, html`<h2>Agreements and the process</h2>
    <label>Agreement <select class="agreement-select"></select></label>
    <div class="diff" aria-live="polite"></div>
    <h2>Versions of the readings</h2>
    <div class="history" aria-live="polite"></div>
    <h2>Extensions and conditions precedent</h2>
    <div class="lifecycle" aria-live="polite"></div>
    <h2>Process phases</h2>
    <div class="process"></div>`);
  const sel = $('.agreement-select', s);
  const ags = await agreements();
  for (const a of ags) sel.append(new Option(`${a.title}${a.readings.length ? '' : ' (no readings yet)'}`, a.id));
  const first = ags.find((a) => a.readings.length);
  if (first) sel.value = first.id;
  sel.addEventListener('change', () => Promise.all([drawDiff(), drawHistory()]));
}

export async function show() {
  await Promise.all([drawDiff(), drawHistory(), drawProcess()]);
}

export function refresh() { show(); }

async function drawDiff() {
  const box = $('.diff', section);
  const id = $('.agreement-select', section).value;
  const a = (await agreements()).find((x) => x.id === id);
  if (!a) { setHTML(box, html`<p>No agreement is in the log yet.</p>`); return; }
  const zone = html`<span class="time-zone">Days are counted in <b>${a.time_zone || 'UTC'}</b> (the agreement's time zone).</span>`;
  if (!a.readings.length) {
    setHTML(box, html`<p>No party has filed a reading of <b>${a.title}</b> yet (phase: ${a.phase_title}, ${a.phase_status}). ${zone}</p>`);
    return;
  }
  const [{ diff }, ps] = await Promise.all([get(`/v1/agreements/${encodeURIComponent(id)}/diff`), parties()]);
  const name = (p) => (ps.find((q) => q.id === p) || { name: p }).name;
  const cols = diff.readings.map((r) => r.party);
  const cell = (v) => (isInstant(v) ? html`<time datetime="${v}">${when(v)}</time><span class="sub">${v}</span>` : v);
  const rows = diff.rows.map((r) => html`<tr data-aspect="${r.aspect}" class="${r.differs ? 'differs' : ''}">
      <th scope="row">${r.differs ? html`<span class="neq" title="the readings differ" aria-label="differs">≠</span> ` : ''}${r.aspect}</th>
      ${cols.map((c) => html`<td data-reading="${c}">${cell(r.values[c] ?? '—')}</td>`)}</tr>`);
  const only = Object.entries(diff.categories_only_in || {}).filter(([, v]) => v.length);
  setHTML(box, html`
    <p>Phase: <b>${a.phase_title}</b> (${a.phase_status}). ${a.joint_text ? 'There is a joint text.' : 'There is no joint text: each party\'s reading is what it says was agreed.'} ${zone}</p>
    <div class="table-wrap"><table class="diff-table">
      <caption>The readings of <b>${a.title}</b> side by side; rows marked ≠ differ. Times in the zone chosen at the top (UTC below).</caption>
      <thead><tr><th scope="col">Aspect</th>${diff.readings.map((r) => html`<th scope="col" data-reading="${r.party}">${name(r.party)} (${r.party})</th>`)}</tr>
      <tr class="summary"><th scope="row">Summary and source</th>${diff.readings.map((r) => html`<td><p>${r.summary}</p><p class="meta">${r.source}</p><p>${entryRef(r.index)}</p></td>`)}</tr></thead>
      <tbody>${rows}</tbody>
    </table></div>
    ${only.length ? html`<h3>Protected categories only some readings name</h3><ul>${only.map(([p, cats]) => html`<li><b>${name(p)}</b>: ${cats.join(', ')}</li>`)}</ul>` : ''}`);
}

/** One finding a version or an event changed (`FindingChange`), as a list item. */
const changeItem = (f, reading) => html`<li data-incident="${f.incident}"${reading ? html` data-reading="${reading}"` : ''}>${reading ? `under ${reading}'s reading: ` : ''}<code>${f.incident}</code> (${f.day}): ${f.before} → <b>${f.after}</b>${f.retroactive ? ' (retroactive)' : ''}</li>`;
const findings = (n) => `${n} finding${n === 1 ? '' : 's'} changed`;

/** The versions of the readings and the lifecycle events, from one `/v1/agreements/{id}/history`. */
async function drawHistory() {
  const box = $('.history', section);
  const events = $('.lifecycle', section);
  const select = $('.agreement-select', section);
  const id = select.value;
  if (!id) { setHTML(box, ''); setHTML(events, ''); return; }
  const h = await get(`/v1/agreements/${encodeURIComponent(id)}/history`);
  if (select.value !== id) return; // another agreement was chosen meanwhile: its own call draws it
  drawEvents(events, h);
  if (!h.versions.length) { setHTML(box, html`<p>No party has filed a reading yet.</p>`); return; }
  const changed = (v) => (v.findings_changed.length ? html`<details><summary>${findings(v.findings_changed.length)}</summary>
      <ul>${v.findings_changed.map((f) => changeItem(f))}</ul></details>` : '');
  setHTML(box, html`<p class="meta">In log order; dates in ${h.time_zone}. A version applies from its <i>effective from</i>; one that applies from before its filing is retroactive: allowed, and flagged. Each finding is compared as known just before the version was logged and just after (as of log size ${h.log_size}).</p>
    <ol class="versions">${h.versions.map((v) => html`<li class="version${v.retroactive ? ' retroactive' : ''}" data-party="${v.party}" data-version="${v.version}" data-index="${v.index}">
      ${v.retroactive ? html`<span class="badge status retro" title="applies from before its filing">retroactive</span> ` : ''}<span class="sentence">${v.sentence}</span>
      <p class="meta">filed <time datetime="${v.filed}">${when(v.filed)}</time>, effective from <time datetime="${v.effective_from}">${when(v.effective_from)}</time> · ${entryRef(v.index)}</p>
      ${changed(v)}</li>`)}</ol>`);
}

const EVENT_KIND = { extension: 'consent to extend', condition: 'condition status' };

/** The history's `events`: every consent to extend the agreement and every status of a condition its readings list, in log
 *  order, each with its sentence, what it meant under each reading just after it was logged and the findings it changed. */
function drawEvents(box, h) {
  box.dataset.agreement = h.agreement;
  const events = h.events || [];
  box.dataset.count = String(events.length);
  if (!events.length) {
    setHTML(box, html`<p class="empty">No party has consented to extend this agreement, and no status of a condition precedent its readings list has been filed.</p>`);
    return;
  }
  const changed = (e) => {
    const by = Object.entries(e.findings_changed || {});
    const n = by.reduce((k, [, cs]) => k + cs.length, 0);
    if (!n) return html`<p class="meta changed-none">No finding changed.</p>`;
    return html`<details><summary>${findings(n)}</summary>
      <ul>${by.map(([reading, cs]) => cs.map((f) => changeItem(f, reading)))}</ul></details>`;
  };
  setHTML(box, html`<p class="meta">In log order. An extension counts under a reading once every party the reading requires has consented to the same end (from the latest of their consents); a condition's status counts only when filed by the reading's own author, a mediator or the operator. One that applies from before its filing is retroactive: allowed, and flagged. Each finding is compared as known just before the entry was logged and just after (as of log size ${h.log_size}).</p>
    <ol class="events">${events.map((e) => html`<li class="event${e.retroactive ? ' retroactive' : ''}${e.retracted ? ' retracted' : ''}" data-kind="${e.kind}" data-party="${e.party}" data-index="${e.index}">
      <span class="badge status kind">${EVENT_KIND[e.kind] || e.kind}</span>
      ${e.retroactive ? html`<span class="badge status retro" title="applies from before its filing">retroactive</span> ` : ''}${e.retracted ? html`<span class="badge status retracted" title="its author retracted it: it no longer counts">retracted</span> ` : ''}<span class="sentence">${e.sentence}</span>
      <p class="meta">filed <time datetime="${e.filed}">${when(e.filed)}</time>, effective from <time datetime="${e.effective_from}">${when(e.effective_from)}</time> · ${entryRef(e.index)}</p>
      <dl class="under">${Object.entries(e.under || {}).map(([reading, words]) => html`<dt>Under ${reading}'s reading</dt><dd data-reading="${reading}">${words}</dd>`)}</dl>
      ${changed(e)}</li>`)}</ol>`);
}

async function drawProcess() {
  const box = $('.process', section);
  const { items } = await get('/v1/process', { limit: 1000 });
  if (!items.length) { setHTML(box, html`<p>No process has been filed.</p>`); return; }
  setHTML(box, html`${items.map((p) => html`<article class="process-doc">
    <h3>${p.process.title}</h3>
    <p class="meta">filed by ${p.author} at ${when(p.entry_time)} · ${entryRef(p.index)}</p>
    <ol class="phases">${p.process.phases.map((ph) => html`<li class="phase status-${ph.status}" data-phase="${ph.id}">
      <h4>${ph.title} <span class="badge status">${ph.status}</span></h4>
      ${ph.depends_on.length ? html`<p class="meta">after: ${ph.depends_on.join(', ')}</p>` : ''}
      ${ph.agreements.length ? html`<p>Agreements: ${ph.agreements.map((a) => html`<b>${a.title}</b> `)}</p>` : ''}
      ${ph.notes.length ? html`<ul class="notes">${ph.notes.map((n) => html`<li>${n}</li>`)}</ul>` : ''}
    </li>`)}</ol></article>`)}`);
}
