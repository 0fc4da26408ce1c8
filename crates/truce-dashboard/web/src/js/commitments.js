// The commitments view: each commitment with what was promised and what each side reports delivered (its own total, never added to the other side's; discrepancies and sides that differ flagged in words and with a sign), and contradictory claims side by side.

import { $, html, setHTML, when, entryRef } from './util.js';
import { all } from './api.js';
import { parties } from './data.js';
import { wireVerifyButtons } from './proof.js';

let section = null;

export async function mount(s) {
  section = s;
  wireVerifyButtons(s);
  setHTML(s, html`<h2>Commitments</h2><div class="commitments"></div><h2>Claims</h2><div class="claims"></div>`);
}

// What each side reports against the promise, in words: "1 short (ru)", "2 over (ua)".
function shortfall(i) {
  const sides = Object.entries(i.by_side || {});
  if (!sides.length) return 'nothing reported';
  return sides.filter(([, n]) => n !== i.promised)
    .map(([side, n]) => (n < i.promised ? `${i.promised - n} short (${side})` : `${n - i.promised} over (${side})`))
    .join(', ');
}

export async function show() {
  const [cs, cl, ps] = await Promise.all([all('/v1/commitments'), all('/v1/claims'), parties()]);
  const name = (p) => { const x = ps.find((q) => q.id === p); return x ? `${x.name} (${p})` : p; };
  setHTML($('.commitments', section), cs.items.length ? html`${cs.items.map((c) => html`<article class="commitment status-${c.status}" data-commitment="${c.id}">
      <h3>${c.title} <span class="badge status">${c.status === 'discrepancy' ? '⚠ discrepancy' : c.status}</span></h3>
      <p class="meta">committed by ${name(c.author)}${c.due ? `, due ${c.due}` : ''} · <code>${c.id}</code></p>
      <div class="table-wrap"><table>
        <thead><tr><th scope="col">What</th><th scope="col">From</th><th scope="col">To</th><th scope="col">Promised</th><th scope="col">Delivered (highest)</th><th scope="col">Each side's total</th><th scope="col">Check</th></tr></thead>
        <tbody>${c.items.map((i) => html`<tr class="${i.discrepancy || i.sides_differ ? 'discrepancy' : ''}"><th scope="row">${i.what}</th><td>${i.from}</td><td>${i.to}</td><td>${i.promised ?? '—'}</td><td>${i.delivered ?? '—'}</td>
          <td class="by-side">${Object.keys(i.by_side || {}).length ? Object.entries(i.by_side).map(([side, n]) => `${side}: ${n}`).join(' · ') : '—'}</td>
          <td>${i.discrepancy ? html`<b><span aria-hidden="true">⚠</span> discrepancy: ${shortfall(i)}</b>` : html`<span aria-hidden="true">✓</span> as promised`}${i.sides_differ ? html` <b class="sides-differ"><span aria-hidden="true">≠</span> the sides' figures differ</b>` : ''}</td></tr>`)}</tbody>
      </table></div>
      <h4>Fulfilments reported</h4>
      <ul>${(c.fulfilment_entries || []).map((f) => html`<li>${name(f.author)} on ${f.fulfilment.date} (${f.fulfilment.kind === 'restatement' ? 'restatement: replaces its earlier figures' : 'tranche'}): ${f.fulfilment.items.map((i) => `${i.quantity} ${i.what} ${i.from}→${i.to}`).join(', ')}
        <span class="meta">(${f.fulfilment.source?.title || 'no source'}; filed ${when(f.entry_time)})</span> ${entryRef(f.index)}</li>`)}</ul>
    </article>`)}` : html`<p>No commitments in the log.</p>`);

  setHTML($('.claims', section), cl.items.length ? html`${cl.items.map((t) => html`<article class="claim-topic ${t.contradiction ? 'contradiction' : ''}" data-topic="${t.topic}">
      <h3>${t.contradiction ? html`<span class="badge status">⚠ contradictory</span> ` : ''}${t.claims[0]?.proposition || t.topic}</h3>
      <div class="claims-grid">${t.claims.map((c) => html`<blockquote class="claim stance-${c.stance}">
        <p class="stance"><b>${name(c.speaker)}</b> ${c.stance === 'denies' ? html`<b>denies</b>` : c.stance}</p>
        <p>“${c.quote}”</p>
        <footer class="meta">${c.source}; logged by ${c.logged_by} ${entryRef(c.index)}</footer></blockquote>`)}</div>
    </article>`)}` : html`<p>No claims in the log.</p>`);
}
