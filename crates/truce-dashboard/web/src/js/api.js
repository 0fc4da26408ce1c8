// Talks to the Truce service's JSON API (same origin only): single requests and paging through lists.

/** Largest page the service serves (`max_page`); lists are fetched page by page. */
export const PAGE = 1000;

export class ApiError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

/** GET a JSON document. `params` is an object; empty values are left out. */
export async function get(path, params = {}) {
  const url = withParams(path, params);
  const r = await fetch(url, { headers: { accept: 'application/json' } });
  if (!r.ok) {
    let msg = `${r.status} ${r.statusText}`;
    try { const b = await r.json(); if (b && b.error) msg = `${b.error.status}: ${b.error.message}`; } catch { /* not JSON */ }
    throw new ApiError(r.status, `${url}: ${msg}`);
  }
  return r.json();
}

/** GET a text document. */
export async function text(path) {
  const r = await fetch(path);
  if (!r.ok) throw new ApiError(r.status, `${path}: ${r.status} ${r.statusText}`);
  return r.text();
}

/** GET raw bytes. */
export async function bytes(path) {
  const r = await fetch(path);
  if (!r.ok) throw new ApiError(r.status, `${path}: ${r.status} ${r.statusText}`);
  return new Uint8Array(await r.arrayBuffer());
}

/** Every item of a paginated list, page by page (`limit=1000`). Returns `{items, total, first}`
 *  where `first` is the first page's document (for extra fields such as `totals`). */
export async function all(path, params = {}, onProgress = () => {}) {
  const items = [];
  let first = null;
  for (let offset = 0; ; offset += PAGE) {
    const page = await get(path, { ...params, limit: PAGE, offset });
    if (!first) first = page;
    items.push(...page.items);
    onProgress(items.length, page.total);
    if (page.items.length === 0 || items.length >= page.total) return { items, total: page.total, first };
  }
}

export function withParams(path, params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== '') q.set(k, v);
  }
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}
