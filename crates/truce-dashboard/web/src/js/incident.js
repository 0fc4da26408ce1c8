// The incident panel: the vessels an incident lists (their tracks drawn by maritime.js), an incident's two grades (occurrence, and attribution per party named, with the standing a breach on that basis has) and why, monitors' review of each question with every assessment, each finding under each reading in words with its reasons, its reports and their sources, and the log entries behind it with their inclusion proofs.

import { $, html, setHTML, announce, gradeBadge, attributionBadge, standingBadge, outcomeBadge, when, entryRef, wordsOf } from './util.js';
import { get } from './api.js';
import { agreement, parties } from './data.js';
import { wireVerifyButtons } from './proof.js';
import { vesselsHtml } from './maritime.js';

/** Reports the panel shows; the rest are counted, with a link to the next page of the API. */
const REPORTS_SHOWN = 50;

const HOLDS = { yes: ['✓', 'holds'], no: ['✗', 'does not hold'], uncertain: ['?', 'uncertain'] };

/** Renders incident `id` into `panel` (an element with a live status line); returns its document (`/v1/incidents/{id}`),
 *  or undefined when it could not be loaded. */
export async function renderIncident(panel, id) {
  wireVerifyButtons(panel);
  setHTML(panel, html`<div class="panel-head"><h2 tabindex="-1">Incident</h2><a class="close" href="#/map" aria-label="Close the incident panel">✕</a></div>
    <p class="panel-status" aria-live="polite">Loading incident ${id}…</p>`);
  let doc;
  try {
    // One page of its reports: an incident gathering thousands of them still answers in bounded size.
    doc = await get(`/v1/incidents/${encodeURIComponent(id)}`, { limit: REPORTS_SHOWN });
  } catch (e) {
    $('.panel-status', panel).textContent = `Could not load incident ${id}: ${e.message}`;
    return;
  }
  const ps = await parties();
  const name = (p) => { const x = ps.find((q) => q.id === p); return x ? `${x.name} (${p})` : p; };
  const inc = doc.incident;
  const byAgreement = new Map();
  for (const f of doc.findings) {
    if (!byAgreement.has(f.agreement)) byAgreement.set(f.agreement, []);
    byAgreement.get(f.agreement).push(f);
  }
  const readingEntries = [];
  for (const a of byAgreement.keys()) {
    try {
      const d = await agreement(a);
      for (const r of d.readings || []) readingEntries.push({ agreement: a, party: r.author, index: r.index });
    } catch { /* the agreement is gone from the list: findings still show */ }
  }

  const findingsHtml = [...byAgreement.entries()].map(([a, fs]) => {
    const words = new Set(fs.map((f) => wordsOf(f)));
    const differs = words.size > 1;
    return html`<section class="agreement-findings" data-agreement="${a}">
      <h4>${a}</h4>
      ${differs ? html`<p class="differs" data-differs="true"><span aria-hidden="true">⚠</span> The outcome depends on whose reading: ${fs.map((f) => `${f.reading}: ${wordsOf(f)}`).join(' · ')}</p>` : ''}
      <div class="readings-grid">${fs.map((f) => findingCard(f, name))}</div></section>`;
  });

  const reports = doc.reports.map((r) => {
    const rep = r.report;
    const loc = rep.location || {};
    return html`<li class="report" data-report="${rep.id}">
      <p><b>${rep.act}</b>${rep.alleged_perpetrator ? html` alleged against <b>${name(rep.alleged_perpetrator)}</b>` : ''}, reported by <b>${name(r.author)}</b>${rep.relays ? html`, relaying <b>${name(rep.relays)}</b>` : ''}${rep.illustrative ? html` <span class="tag">illustrative</span>` : ''}</p>
      <p class="meta">${loc.place || ''} ${loc.point ? `(${loc.point[1]}, ${loc.point[0]}) ± ${loc.uncertainty_m} m` : ''}<br>
        ${when(rep.time?.start)} – ${when(rep.time?.end)}${rep.target_category ? html`<br>target: ${rep.target_category}` : ''}</p>
      ${rep.text ? html`<p class="text">${rep.text}</p>` : ''}
      <p class="meta">Source: ${name(r.author)}, filed ${when(r.entry_time)} as report <code>${rep.id}</code>
        ${Object.keys(rep.attributes || {}).length ? html`<br>attributes: ${Object.entries(rep.attributes).map(([k, v]) => `${k}=${v}`).join(', ')}` : ''}
        ${(rep.evidence || []).length ? html`<br>evidence (hashes): ${rep.evidence.map((e) => html`<code>${e}</code> `)}` : ''}</p>
      <p>${entryRef(r.index)}</p></li>`;
  });

  const question = (q, party) => (q === 'attribution' ? `attribution to ${name(party)}` : 'occurrence');
  const attributions = (inc.alleged || []).map((a) => html`<li class="attribution" data-party="${a.party}" data-attribution="${a.grade}" data-standing="${a.standing}">
      <p><b>${name(a.party)}</b>: ${attributionBadge(a.grade)} standing ${standingBadge(a.standing)}</p>
      <p class="meta">named by ${a.by.map(name).join(', ')}${(a.origins || []).length ? ` (origins: ${a.origins.join(', ')})` : ''}</p>
      <ul class="why">${(a.reasons || []).map((r) => html`<li>${r}</li>`)}</ul></li>`);

  const assessment = (a) => html`<li class="assessment${a.counted ? '' : ' uncounted'}" data-counted="${String(a.counted)}" data-officer="${a.officer}">
      <p><b>${name(a.author)}</b>, officer <code>${a.officer}</code>, on ${question(a.question, a.party)}: <b>${a.verdict}</b>
        — ${a.counted ? html`<span class="counted">counted</span>` : html`<span class="not-counted">not counted</span>${a.note ? `: ${a.note}` : ''}`}</p>
      <p class="text">${a.text}</p><p>${entryRef(a.index)}</p></li>`;
  const reviews = (inc.reviews || []).map((r) => html`<section class="review" data-question="${r.question}" data-party="${r.party || ''}" data-state="${r.state}">
      <h4>${question(r.question, r.party)}: <span class="review-state state-${r.state}">${r.state}</span></h4>
      <p class="meta">quorum: ${r.quorum} officer(s); tally of officers' latest verdicts: ${Object.entries(r.tally || {}).map(([v, n]) => `${n} ${v}`).join(', ') || 'none counted'}</p>
      <ul class="assessments">${(r.assessments || []).map(assessment)}</ul></section>`);
  // Assessments that no review lists (none expected): still shown.
  const inReviews = new Set((inc.reviews || []).flatMap((r) => (r.assessments || []).map((a) => a.index)));
  const otherAssessments = (inc.assessments || []).filter((a) => !inReviews.has(a.index)).map(assessment);

  const entries = [
    ...doc.reports.map((r) => ({ index: r.index, what: `report ${r.report.id} by ${r.author}` })),
    ...(inc.assessments || []).map((a) => ({ index: a.index, what: `assessment by ${a.author} (officer ${a.officer})` })),
    ...readingEntries.map((r) => ({ index: r.index, what: `${r.party}'s reading of ${r.agreement}` })),
  ].sort((x, y) => x.index - y.index);

  setHTML(panel, html`<div class="panel-head"><h2 tabindex="-1">Incident <code>${inc.id}</code></h2><a class="close" href="#/map" aria-label="Close the incident panel">✕</a></div>
    <p class="panel-status" aria-live="polite"></p>
    <dl class="facts">
      <dt>Occurrence</dt><dd class="occurrence">${gradeBadge(inc.occurrence)}${inc.disputed ? ' (sources disagree)' : ''}${inc.routine ? ' (routine: persistent hot spot)' : ''}</dd>
      <dt>When</dt><dd>${when(inc.start)} – ${when(inc.end)}</dd>
      <dt>Where</dt><dd>${inc.point[1]}, ${inc.point[0]} ± ${inc.uncertainty_m} m</dd>
      <dt>Acts</dt><dd>${(inc.acts || []).join(', ')}</dd>
      <dt>Origins</dt><dd>${(inc.sides || []).join(', ')}</dd>
    </dl>
    <details class="why" open><summary>Why this occurrence grade (did something happen there and then?)</summary><ul>${(inc.grade_reasons || []).map((r) => html`<li>${r}</li>`)}</ul></details>
    <h3>Attribution: did each party named do it?</h3>
    ${attributions.length ? html`<ul class="attributions-of-incident">${attributions}</ul>` : html`<p>Nobody is named as perpetrator.</p>`}
    ${reviews.length ? html`<h3>Monitors' review</h3>${reviews}` : ''}
    ${otherAssessments.length ? html`<h3>Other assessments</h3><ul class="assessments">${otherAssessments}</ul>` : ''}
    ${vesselsHtml(inc)}
    <h3>Findings under each reading</h3>
    ${findingsHtml.length ? findingsHtml : html`<p>No reading concerns this incident (nobody named, no protected site or target within reach).</p>`}
    <h3>Reports (${doc.reports_total ?? doc.reports.length})</h3><ul class="reports">${reports}</ul>
    ${(doc.reports_total ?? 0) > doc.reports.length ? html`<p class="meta more-reports">Showing the first ${doc.reports.length} of ${doc.reports_total} reports, in log order; the next ones:
      <a href="/v1/incidents/${encodeURIComponent(inc.id)}?limit=100&offset=${doc.reports.length}">the API's next page (JSON)</a>.</p>` : ''}
    <h3>Log entries behind it</h3>
    <p class="meta">Each is in the public log; <i>verify</i> recomputes its inclusion proof here against the checkpoint's root (log size ${doc.log_size}).</p>
    <ul class="entries">${entries.map((e) => html`<li>${e.what}: ${entryRef(e.index)}</li>`)}</ul>`);

  const summary = `Incident ${inc.id}, occurrence ${inc.occurrence}. ` + doc.findings.map((f) => `Under ${f.reading}'s reading: ${wordsOf(f)}.`).join(' ');
  $('.panel-status', panel).textContent = summary;
  announce(summary);
  $('h2', panel).focus({ preventScroll: false });
  return doc;
}

function findingCard(f, name) {
  const reasons = (f.reasons || []).map((r) => {
    const [sym, word] = HOLDS[r.holds] || ['·', r.holds];
    return html`<li class="reason holds-${r.holds}"><span class="holds" title="${word}" aria-label="${word}">${sym}</span> <b>${r.rule}</b>: ${r.text}</li>`;
  });
  const atts = (f.attributions || []).map((a) => html`<li data-party="${a.party}" data-words="${wordsOf(a)}">${name(a.party)}: ${outcomeBadge(wordsOf(a))}
      <span class="meta">attribution ${a.grade}, standing ${a.standing}; named by ${(a.alleged_by || []).join(', ') || '—'}${a.released_by ? html`; released by <a href="#/incident/${a.released_by}">${a.released_by}</a>` : ''}${a.invocation !== undefined && a.invocation !== null ? html`; released by its invocation (${entryRef(a.invocation)})` : ''}${a.release_available ? html`; a release is available (<a href="#/incident/${a.release_available}">${a.release_available}</a>) but not invoked` : ''}</span></li>`);
  const site = f.site ? html`<p class="meta">Protected site: ${f.site.name} (${f.site.category}), ${f.site.distance_m} m from ${f.site.report}${f.site.uncertain ? ' (uncertain)' : ''}, listed by ${f.site.lister}</p>` : '';
  return html`<article class="finding" data-reading="${f.reading}" data-outcome="${f.outcome}" data-standing="${f.standing}" data-words="${wordsOf(f)}">
    <h5>${name(f.reading)}'s reading</h5>
    <p class="words">${outcomeBadge(wordsOf(f))}</p>
    <ul class="attributions">${atts}</ul>
    ${site}
    <details open><summary>Reasons (${reasons.length})</summary><ol class="reasons">${reasons}</ol></details>
    <p class="meta">occurrence ${f.occurrence}; rules ${f.rules}</p>
  </article>`;
}
