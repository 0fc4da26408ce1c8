// The log view: the log's size, its latest signed checkpoint (C2SP signed note) with every signature line, the witnesses' cosignatures, and a form to verify any entry's inclusion proof.

import { $, html, setHTML, when, entryRef } from './util.js';
import { get, text } from './api.js';
import { wireVerifyButtons } from './proof.js';

let section = null;

export async function mount(s) {
  section = s;
  wireVerifyButtons(s);
  setHTML(s, html`<h2>The log</h2><div class="status-box" aria-live="polite"></div>
    <h3>Check an entry</h3>
    <form class="check-entry"><label>Entry index <input type="number" name="index" min="0" step="1" required></label> <button type="submit">Show</button><div class="check-out"></div></form>`);
  $('form.check-entry', s).addEventListener('submit', (ev) => {
    ev.preventDefault();
    const n = Number(ev.target.elements.index.value);
    setHTML($('.check-out', s), html`<p>${entryRef(n)}</p>`);
    $('.check-out button.verify', s).click();
  });
}

/** Parses a signed note: body lines, then `— name signature` lines. */
export function parseNote(note) {
  const [body, sigs = ''] = note.split('\n\n');
  const lines = body.split('\n');
  const signatures = sigs.split('\n').filter((l) => l.startsWith('— ')).map((l) => {
    const [, name, sig] = l.match(/^— (\S+) (\S+)$/) || [null, l.slice(2), ''];
    return { name, sig };
  });
  return { origin: lines[0], size: Number(lines[1]), root: lines[2], extensions: lines.slice(3), signatures };
}

export async function show() {
  const [note, w] = await Promise.all([text('/checkpoint'), get('/v1/witnesses')]);
  const cp = parseNote(note);
  const cosigners = cp.signatures.filter((s) => s.name !== cp.origin);
  setHTML($('.status-box', section), html`
    <dl class="facts">
      <dt>Origin</dt><dd><code>${cp.origin}</code></dd>
      <dt>Size</dt><dd><b class="log-size">${cp.size}</b> entries (published; latest ${w.latest_size}${w.published_size !== w.latest_size ? ', not yet witnessed' : ''})</dd>
      <dt>Root hash</dt><dd><code>${cp.root}</code></dd>
      <dt>Signatures</dt><dd>${cp.signatures.length}: the log's own${cosigners.length ? `, and ${cosigners.length} witness cosignature(s)` : ', no witness cosignature'}</dd>
    </dl>
    <h3>Checkpoint (<a href="/checkpoint">/checkpoint</a>)</h3>
    <pre class="checkpoint">${note}</pre>
    <h3>Signature lines</h3>
    <ul>${cp.signatures.map((s) => html`<li><code>${s.name}</code> ${s.name === cp.origin ? '(the log)' : '(witness cosignature)'}</li>`)}</ul>
    <h3>Witnesses</h3>
    ${w.witnesses.length ? html`<div class="table-wrap"><table class="witnesses">
      <thead><tr><th scope="col">Witness</th><th scope="col">Address</th><th scope="col">Size sent</th><th scope="col">Cosigned size</th><th scope="col">Cosigned at</th><th scope="col">State</th></tr></thead>
      <tbody>${w.witnesses.map((x) => html`<tr><th scope="row">${x.name}</th><td><code>${x.url}</code></td><td>${x.size ?? '—'}</td><td>${x.cosigned_size ?? '—'}</td><td>${x.cosigned_at ? when(new Date(x.cosigned_at * 1000).toISOString()) : '—'}</td>
        <td>${x.error ? html`<b><span aria-hidden="true">✗</span> ${x.error}</b>` : html`<span aria-hidden="true">✓</span> ok`}</td></tr>`)}</tbody></table></div>`
    : html`<p>No witnesses are configured: the checkpoint carries the log's signature only.</p>`}`);
  const input = $('form.check-entry input', section);
  input.max = String(Math.max(0, cp.size - 1));
  if (!input.value) input.value = String(Math.max(0, cp.size - 1));
}

export function refresh() { show(); }
