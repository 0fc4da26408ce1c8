#!/usr/bin/env python3
"""Deterministic data for the spatial-join benchmark: incidents.csv and sites.csv (id,lon,lat).

The layout imitates the monitored area: ~200 towns spread over lat 44..53, lon 22..40 (Ukraine and
western Russia), with incidents and sites clustered around them (town sizes follow Zipf), plus a
uniform background. Two small groups exercise the awkward parts of the sphere:
  * ~0.5 % of each set straddles the antimeridian (Chukotka, lat 64..67, lon within 0.4 deg of
    +-180, a few exactly at +-180);
  * ~0.5 % lies above 80 N (Franz Josef Land, lat 80..82), some of them within 4 km of the pole.
Ids are the 0-based row numbers, so a pair (point index, target index) is also a pair of ids.
Coordinates are printed with repr(), which round-trips the f64 exactly.

Usage: gen.py --out DIR [--incidents N] [--sites M] [--seed S]
"""

import argparse
import os
import time

import numpy as np

KM_PER_DEG_LAT = 111.2


def offsets_to_lonlat(lon0, lat0, dx_km, dy_km):
    lat = lat0 + dy_km / KM_PER_DEG_LAT
    lon = lon0 + dx_km / (KM_PER_DEG_LAT * np.cos(np.radians(lat0)))
    return lon, lat


def wrap_lon(lon):
    # to [-180, 180); keeps values already in range untouched bit for bit
    out = lon.copy()
    hi = out >= 180.0
    lo = out < -180.0
    out[hi] -= 360.0
    out[lo] += 360.0
    return out


def layout(rng, n, towns, weights, share_bg, share_am, share_polar, sigma_scale):
    """n points: towns (Gaussian clusters), background, antimeridian and polar groups."""
    n_am = int(round(n * share_am))
    n_polar = int(round(n * share_polar))
    n_bg = int(round(n * share_bg))
    n_town = n - n_am - n_polar - n_bg
    parts = []

    # towns: pick a town by weight, Gaussian offset with the town's spread
    t = rng.choice(len(towns), size=n_town, p=weights)
    sig = towns[t, 2] * sigma_scale
    dx = rng.normal(size=n_town) * sig
    dy = rng.normal(size=n_town) * sig
    parts.append(offsets_to_lonlat(towns[t, 0], towns[t, 1], dx, dy))

    # background over the whole area
    parts.append((rng.uniform(22.0, 40.0, n_bg), rng.uniform(44.0, 53.0, n_bg)))

    # antimeridian: lon in [179.6, 180.4) wrapped to [-180, 180), lat 64..67; a few at exactly +-180
    lon = rng.uniform(179.6, 180.4, n_am)
    lat = rng.uniform(64.0, 67.0, n_am)
    lon = wrap_lon(lon)
    k = min(n_am, max(2, n_am // 200))
    lon[:k] = np.where(np.arange(k) % 2 == 0, 180.0, -180.0)  # both spell the same meridian
    parts.append((lon, lat))

    # polar: Franz Josef Land-ish box, and 5 % of the group within 4 km of the North Pole
    lon = rng.uniform(45.0, 65.0, n_polar)
    lat = rng.uniform(80.0, 82.0, n_polar)
    k = min(n_polar, max(3, n_polar // 20))
    lon[:k] = rng.uniform(-180.0, 180.0, k)
    lat[:k] = 90.0 - rng.uniform(0.0, 4.0, k) / KM_PER_DEG_LAT
    parts.append((lon, lat))

    lon = np.concatenate([p[0] for p in parts])
    lat = np.concatenate([p[1] for p in parts])
    perm = rng.permutation(n)
    return lon[perm], lat[perm]


def write_csv(path, lon, lat):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write("id,lon,lat\n")
        step = 100_000
        for s in range(0, len(lon), step):
            xs = lon[s : s + step].tolist()
            ys = lat[s : s + step].tolist()
            f.write("".join(f"{s + i},{x!r},{y!r}\n" for i, (x, y) in enumerate(zip(xs, ys))))
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--incidents", type=int, default=1_000_000)
    ap.add_argument("--sites", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=20251130)
    ap.add_argument("--towns", type=int, default=200)
    a = ap.parse_args()
    t0 = time.perf_counter()
    rng = np.random.default_rng(a.seed)

    # towns: lon, lat, spread (km); Zipf-like weights by rank (exponent 0.5: the largest town
    # draws ~4 % of the points)
    nt = a.towns
    towns = np.empty((nt, 3))
    towns[:, 0] = rng.uniform(22.5, 39.5, nt)
    towns[:, 1] = rng.uniform(44.5, 52.5, nt)
    rank = rng.permutation(nt) + 1
    w = rank**-0.5
    w /= w.sum()
    # bigger towns spread wider: sigma 15 km (smallest) .. 75 km (largest). At the default sizes
    # the 5 km join gives ~8 million pairs; even a uniform spread over this area would give ~4.5
    # million (n m pi 25 km^2 / 1.3 million km^2), the towns (which overlap) about double that.
    towns[:, 2] = 15.0 + 60.0 * (w / w.max()) ** 0.5

    # The spreads are fixed, so the pair count scales with incidents x sites (quick mode at
    # 100k x 10k: ~1 % of the full count).
    inc = layout(rng, a.incidents, towns, w, 0.08, 0.005, 0.005, 1.0)
    sit = layout(rng, a.sites, towns, w, 0.13, 0.005, 0.005, 1.0)

    os.makedirs(a.out, exist_ok=True)
    write_csv(os.path.join(a.out, "incidents.csv"), *inc)
    write_csv(os.path.join(a.out, "sites.csv"), *sit)
    print(
        f"gen: {a.incidents} incidents, {a.sites} sites, {nt} towns, seed {a.seed} -> {a.out} "
        f"({time.perf_counter() - t0:.1f} s)"
    )


if __name__ == "__main__":
    main()
