// Verifies inclusion proofs in the browser: RFC 6962 / RFC 9162 Merkle audit paths recomputed with WebCrypto SHA-256 against the checkpoint's root.

import { get, bytes, text } from './api.js';

async function sha256(parts) {
  const len = parts.reduce((n, p) => n + p.length, 0);
  const buf = new Uint8Array(len);
  let o = 0;
  for (const p of parts) { buf.set(p, o); o += p.length; }
  return new Uint8Array(await crypto.subtle.digest('SHA-256', buf));
}

function b64(s) { return Uint8Array.from(atob(s), (c) => c.charCodeAt(0)); }
function same(a, b) { return a.length === b.length && a.every((x, i) => x === b[i]); }

/** The root an audit path gives for a leaf (RFC 9162 §2.1.3.2), or null if the path is malformed. */
export async function rootFromPath(index, size, leaf, path) {
  if (index >= size) return null;
  let fn = index, sn = size - 1;
  let r = await sha256([new Uint8Array([0]), leaf]);
  for (const p of path) {
    if (sn === 0) return null;
    if (fn % 2 === 1 || fn === sn) {
      r = await sha256([new Uint8Array([1]), p, r]);
      if (fn % 2 === 0) { while (fn % 2 === 0 && fn !== 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); } }
    } else {
      r = await sha256([new Uint8Array([1]), r, p]);
    }
    fn = Math.floor(fn / 2); sn = Math.floor(sn / 2);
  }
  return sn === 0 ? r : null;
}

/** Checks entry `index`: its bytes, its proof and the checkpoint the proof is against.
 *  Returns `{ok, message}`. */
export async function verifyEntry(index) {
  if (!globalThis.crypto || !crypto.subtle) {
    return { ok: false, message: 'this page is not a secure context (use https or localhost): the proof cannot be checked here; download it and run `truce verify-proof`' };
  }
  const [proof, entry, checkpoint] = await Promise.all([
    get('/v1/proof/inclusion', { index }), bytes(`/v1/entries/${index}`), text('/checkpoint'),
  ]);
  const root = await rootFromPath(proof.index, proof.size, entry, proof.proof.map(b64));
  if (!root || !same(root, b64(proof.root))) {
    return { ok: false, message: `FAILED: the audit path of entry ${index} does not lead to the root of size ${proof.size}` };
  }
  const note = (proof.checkpoint || '').split('\n');
  if (note[1] !== String(proof.size) || note[2] !== proof.root) {
    return { ok: false, message: `FAILED: the proof's root is not the one its checkpoint states` };
  }
  const latest = checkpoint.split('\n');
  const tail = latest[1] === String(proof.size) ? 'the current checkpoint' : `checkpoint of size ${proof.size} (current: ${latest[1]})`;
  return { ok: true, message: `✓ included: entry ${index} hashes to the root of ${tail}` };
}

/** Wires every `button.verify[data-index]` under `root` (event delegation, once per root). */
export function wireVerifyButtons(root) {
  if (root.dataset.verifyWired) return;
  root.dataset.verifyWired = '1';
  root.addEventListener('click', async (ev) => {
    const b = ev.target.closest('button.verify[data-index]');
    if (!b) return;
    const out = b.parentElement.querySelector('output.verdict');
    out.textContent = 'checking…';
    try {
      const v = await verifyEntry(Number(b.dataset.index));
      out.textContent = v.message;
      out.className = 'verdict ' + (v.ok ? 'ok' : 'bad');
    } catch (e) {
      out.textContent = `could not check: ${e.message}`;
      out.className = 'verdict bad';
    }
  });
}
