// Cached reference data shared by the views: agreements (and each one's readings), parties, the process.

import { get, all } from './api.js';

const cache = new Map();
function once(key, load) {
  if (!cache.has(key)) cache.set(key, load().catch((e) => { cache.delete(key); throw e; }));
  return cache.get(key);
}

/** The agreements list (`/v1/agreements`, every page). */
export const agreements = () => once('agreements', async () => (await all('/v1/agreements')).items);
/** One agreement with its readings (`/v1/agreements/{id}`). */
export const agreement = (id) => once(`agreement:${id}`, () => get(`/v1/agreements/${encodeURIComponent(id)}`));
/** The parties (`/v1/parties`). */
export const parties = () => once('parties', async () => (await all('/v1/parties')).items);
/** A party's name, or its id. */
export async function partyName(id) {
  const p = (await parties()).find((x) => x.id === id);
  return p ? p.name : id;
}
