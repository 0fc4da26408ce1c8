// The map's base layers, drawn offline from the vendored data: land and countries (Natural Earth via world-atlas), first-level regions with the areas of disputed control hatched (Natural Earth admin-1), towns labelled by zoom (GeoNames), and the note stating the convention on the map.

import * as api from './api.js';

/* global L, topojson */

/**
 * The convention, said on the map and in the docs. Boundaries as the United Nations recognise them; areas of disputed
 * control hatched (whole first-level regions: the packaged data has no line of control); names in both parties'
 * languages where they differ.
 */
export const CONVENTION = {
  boundaries: 'Boundaries: internationally recognised (UN). Hatched: disputed control, whole regions (approximate, illustrative: no line of control is drawn).',
  names: 'Names: GeoNames; Ukrainian and Russian forms where they differ.',
};

/** What each kind of hatching means (the `disputed` property of a first-level region): short on the map, long on hover. */
export const DISPUTED = {
  'occupied-2014': {
    pattern: 'hatch-2014',
    short: 'Crimea, Sevastopol: under Russian control since 2014',
    label: 'Ukraine under internationally recognised boundaries; under Russian control since 2014, annexation claimed by Russia',
  },
  'claimed-2022': {
    pattern: 'hatch-2022',
    short: 'Donetsk, Luhansk, Zaporizhzhia, Kherson oblasts: claimed by Russia since 2022, partly under its control',
    label: 'Ukraine under internationally recognised boundaries; annexation claimed by Russia since 2022, partly under Russian control (the whole oblast is hatched; no line of control is drawn)',
  },
};

/** The SVG patterns the hatching fills with (put once in the page; `url(#id)` refers to them from any SVG). */
export const PATTERN_DEFS = `<svg class="pattern-defs" width="0" height="0" aria-hidden="true" focusable="false"><defs>
<pattern id="hatch-2014" patternUnits="userSpaceOnUse" width="7" height="7" patternTransform="rotate(45)"><rect width="7" height="7" fill="#b5523b" fill-opacity="0.10"/><line x1="0" y1="0" x2="0" y2="7" stroke="#b5523b" stroke-width="2.2" stroke-opacity="0.55"/></pattern>
<pattern id="hatch-2022" patternUnits="userSpaceOnUse" width="10" height="10" patternTransform="rotate(-45)"><line x1="0" y1="0" x2="0" y2="10" stroke="#b5523b" stroke-width="1.4" stroke-opacity="0.45"/></pattern>
</defs></svg>`;

/** World-atlas ids (ISO 3166 numeric) of the countries whose borders between each other come from the first-level regions. */
const REGION = new Set(['643', '804', '112', '498']); // Russia, Ukraine, Belarus, Moldova

/** The smallest population labelled at a zoom (a town's label shows when it fits, largest first). */
function minPopulation(zoom) {
  if (zoom < 5) return 1000000;
  if (zoom < 6) return 300000;
  if (zoom < 7) return 100000;
  if (zoom < 8) return 30000;
  if (zoom < 9) return 10000;
  if (zoom < 10) return 3000;
  return 1000;
}
/** Parts of larger towns (city districts) are labelled from this zoom on. */
const SECTION_ZOOM = 11;
/** At most this many labels at once. */
const MAX_LABELS = 250;

const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' }[c]));

/**
 * Loads and draws the base map on `map`; adds "Towns" and "First-level regions" to `layers` (a layers control).
 * Resolves once everything is drawn; the map element's `data-basemap` is then `ready`.
 */
export async function loadBaseMap(map, layers) {
  const el = map.getContainer();
  for (const [name, z] of [['basemap', 250], ['disputed', 260], ['basemap-lines', 270], ['labels', 450]]) {
    const pane = map.createPane(name);
    pane.style.zIndex = z;
    if (name === 'labels') pane.style.pointerEvents = 'none';
  }
  const [world, admin, towns] = await Promise.all([
    api.get('/ui/vendor/world-atlas/countries-50m.json'),
    api.get('/ui/vendor/basemap/admin1.json'),
    api.get('/ui/vendor/basemap/towns.json'),
  ]);
  const fill = L.canvas({ pane: 'basemap' });
  const lines = L.svg({ pane: 'basemap-lines' });
  const hatch = L.svg({ pane: 'disputed' });

  // Land: every country filled alike (the fill takes no side); no outlines from world-atlas between the four countries
  // whose first-level regions are drawn: its Russia-Ukraine line puts Crimea in Russia.
  const countries = topojson.feature(world, world.objects.countries);
  L.geoJSON(countries, { pane: 'basemap', renderer: fill, interactive: false, style: { stroke: false, fillColor: '#f3efe6', fillOpacity: 1 } }).addTo(map);
  const coast = topojson.mesh(world, world.objects.countries, (a, b) => a === b);
  const otherBorders = topojson.mesh(world, world.objects.countries, (a, b) => a !== b && !(REGION.has(a.id) && REGION.has(b.id)));
  L.geoJSON(coast, { pane: 'basemap-lines', renderer: lines, interactive: false, style: { color: '#8c8c8c', weight: 0.7, className: 'coast-line' } }).addTo(map);
  L.geoJSON(otherBorders, { pane: 'basemap-lines', renderer: lines, interactive: false, style: { color: '#5f5f5f', weight: 1.2, className: 'country-line' } }).addTo(map);

  // First-level regions: the borders between Ukraine, Russia, Belarus and Moldova (each region's country is its ISO 3166-2
  // code's), the regions' own boundaries, the hatched areas of disputed control, and the regions' names.
  const obj = admin.objects.admin1;
  const regionsLayer = L.layerGroup();
  L.geoJSON(topojson.mesh(admin, obj, (a, b) => a !== b && a.properties.country !== b.properties.country), {
    pane: 'basemap-lines', renderer: lines, interactive: false, style: { color: '#5f5f5f', weight: 1.2, className: 'country-line recognised' },
  }).addTo(map);
  L.geoJSON(topojson.mesh(admin, obj, (a, b) => a !== b && a.properties.country === b.properties.country), {
    pane: 'basemap-lines', renderer: lines, interactive: false, style: { color: '#8a8a8a', weight: 0.8, dashArray: '4 3', className: 'admin1-line' },
  }).addTo(regionsLayer);
  const disputed = { type: 'GeometryCollection', geometries: obj.geometries.filter((g) => g.properties.disputed) };
  L.geoJSON(topojson.feature(admin, disputed), {
    pane: 'disputed',
    renderer: hatch,
    style: (f) => ({
      stroke: true, color: '#b5523b', weight: 1, opacity: 0.6, fillOpacity: 1,
      fillColor: `url(#${DISPUTED[f.properties.disputed].pattern})`, className: `disputed disputed-${f.properties.disputed}`,
    }),
  }).eachLayer((l) => {
    const p = l.feature.properties;
    l.bindTooltip(esc(`${p.name} (${p.uk} / ${p.ru}): ${DISPUTED[p.disputed].label}`), { sticky: true });
  }).addTo(regionsLayer);
  regionsLayer.addTo(map);
  const regions = obj.geometries.map((g) => g.properties).filter((p) => p.label && p.type !== 'District');
  layers.addOverlay(regionsLayer, 'First-level regions (hatched: disputed control)');

  // Towns, labelled largest first where they fit.
  const townsLayer = L.layerGroup([], { pane: 'labels' });
  const ix = Object.fromEntries(towns.fields.map((f, i) => [f, i]));
  const all = towns.towns.map((r) => ({
    lat: r[ix.lat], lon: r[ix.lon], population: r[ix.population], country: r[ix.country], name: r[ix.name],
    nameOther: r[ix.name_other], cyrillic: r[ix.cyrillic], cyrillicOther: r[ix.cyrillic_other], section: r[ix.section] === 1,
  }));
  const drawn = new Map(); // key → marker
  const redraw = () => {
    if (!map.hasLayer(townsLayer)) return;
    const zoom = map.getZoom();
    const min = minPopulation(zoom);
    const bounds = map.getBounds().pad(0.05);
    const size = map.getSize();
    const boxes = [];
    const want = new Map();
    const fits = (b) => b.x1 >= 0 && b.y1 >= 0 && b.x2 <= size.x && b.y2 <= size.y && !boxes.some((o) => b.x1 < o.x2 && b.x2 > o.x1 && b.y1 < o.y2 && b.y2 > o.y1);
    // The largest towns first, then the regions' names, then the other towns.
    const placeTowns = (from, until) => {
      for (const t of all) {
        if (t.population >= from) continue;
        if (t.population < Math.max(min, until) || want.size >= MAX_LABELS) break;
        if ((t.section && zoom < SECTION_ZOOM) || !bounds.contains([t.lat, t.lon])) continue;
        const p = map.latLngToContainerPoint([t.lat, t.lon]);
        const line1 = t.nameOther ? `${t.name} / ${t.nameOther}` : t.name;
        const line2 = [t.cyrillic, t.cyrillicOther].filter(Boolean).join(' / ');
        const w = Math.max(line1.length * 6.6, line2.length * 6) + 10;
        const b = { x1: p.x - 4, y1: p.y - 6, x2: p.x + w, y2: p.y + (line2 ? 26 : 14) };
        if (!fits(b)) continue;
        boxes.push(b);
        want.set(`${t.name}|${t.lat}|${t.lon}`, { t, line1, line2 });
      }
    };
    placeTowns(Infinity, 500000);
    for (const r of regions) {
      if (zoom < 6) break;
      const [lon, lat] = r.label;
      if (!bounds.contains([lat, lon])) continue;
      const p = map.latLngToContainerPoint([lat, lon]);
      const w = r.name.length * 7.5 + 8;
      // At its label point, or just above or below it when a large town is there.
      for (const dy of [0, -22, 22]) {
        const b = { x1: p.x - w / 2, y1: p.y + dy - 8, x2: p.x + w / 2, y2: p.y + dy + 8 };
        if (!fits(b)) continue;
        boxes.push(b);
        want.set(`region|${r.id}|${dy}`, { r, dy });
        break;
      }
    }
    placeTowns(500000, 0);
    for (const [k, m] of drawn) if (!want.has(k)) { townsLayer.removeLayer(m); drawn.delete(k); }
    for (const [k, v] of want) {
      if (drawn.has(k)) continue;
      const m = v.t ? townMarker(v.t, v.line1, v.line2) : regionMarker(v.r, v.dy);
      drawn.set(k, m);
      townsLayer.addLayer(m);
    }
    el.dataset.townsShown = String([...want.keys()].filter((k) => !k.startsWith('region|')).length);
    el.dataset.townMinPopulation = String(min);
  };
  townsLayer.on('add', () => setTimeout(redraw, 0));
  map.on('zoomend moveend resize', redraw);
  townsLayer.addTo(map);
  layers.addOverlay(townsLayer, 'Towns (GeoNames)');

  addConvention(map);
  el.dataset.basemap = 'ready';
  redraw();
}

function townMarker(t, line1, line2) {
  const title = `${t.name}${t.nameOther ? ` / ${t.nameOther}` : ''}${line2 ? ` (${line2})` : ''}: ${t.population.toLocaleString('en')} inhabitants (GeoNames)`;
  const cls = t.population >= 1000000 ? 'town-label big' : t.population >= 100000 ? 'town-label large' : 'town-label';
  return L.marker([t.lat, t.lon], {
    pane: 'labels',
    interactive: false,
    keyboard: false,
    icon: L.divIcon({
      className: cls,
      iconSize: null,
      iconAnchor: [4, 4],
      html: `<span class="dot"></span><span class="names" title="${esc(title)}" data-name="${esc(t.name)}" data-population="${t.population}"><span class="latin">${esc(line1)}</span>${line2 ? `<span class="cyrillic">${esc(line2)}</span>` : ''}</span>`,
    }),
  });
}

function regionMarker(r, dy) {
  return L.marker([r.label[1], r.label[0]], {
    pane: 'labels',
    interactive: false,
    keyboard: false,
    icon: L.divIcon({
      className: `region-label${r.disputed ? ' disputed' : ''}`,
      iconSize: null,
      iconAnchor: [0, -dy],
      html: `<span data-region="${esc(r.id)}" title="${esc(`${r.name} (${r.uk} / ${r.ru})`)}">${esc(r.name)}</span>`,
    }),
  });
}

/** The always-visible note stating the convention, with a link to the sources and licences. */
function addConvention(map) {
  const note = L.control({ position: 'bottomleft' });
  note.onAdd = () => {
    const div = L.DomUtil.create('div', 'leaflet-control basemap-note');
    div.setAttribute('role', 'note');
    div.setAttribute('aria-label', 'Base map convention');
    const swatch = (d) => `<li><svg class="swatch" width="18" height="12" aria-hidden="true"><rect width="18" height="12" fill="url(#${d.pattern})" stroke="#b5523b"/></svg> ${esc(d.short)}</li>`;
    div.innerHTML = `<p>${esc(CONVENTION.boundaries)}</p><ul>${Object.values(DISPUTED).map(swatch).join('')}</ul>`
      + `<p>${esc(CONVENTION.names)} <a href="/ui/vendor/basemap/NOTICE.txt" target="_blank" rel="noopener">Sources, licences, convention</a></p>`;
    L.DomEvent.disableClickPropagation(div);
    return div;
  };
  note.addTo(map);
}
