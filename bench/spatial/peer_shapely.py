#!/usr/bin/env python3
"""shapely 2 peer: STRtree.query(predicate="dwithin") in degrees, then an exact geodesic filter.

Usage: peer_shapely.py DATA_DIR OUT_PAIRS [--d 5000] [--reps N]

Timed (best of --reps): building the STRtree over the sites (plus wrapped copies of sites near the
antimeridian), the query, and pyproj.Geod(ellps="WGS84").inv on the candidates (PROJ's Karney
geodesic, the code PostGIS calls) keeping distance <= d. Not timed: reading the CSVs, making the
point geometries, sorting and writing the pairs.

The degree distance is per incident and conservative (see common.py): every pair within d metres
has |dlat| <= B and wrapped |dlon| <= L(lat), so its Euclidean degree distance is <= sqrt(B^2+L^2).
Incidents whose band reaches a pole (L unbounded) take every site whose latitude is within B of
theirs instead.
"""

import argparse
import os
import sys
import time

import numpy as np
import pyproj
import shapely

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402


def join(inc_pts, ilon, ilat, site_lon, site_lat, d):
    t0 = time.perf_counter()
    n_sites = len(site_lon)
    # wrapped copies: sites in the outer quarters also stand 360 deg away, after the originals
    east = np.nonzero(site_lon >= 90.0)[0]
    west = np.nonzero(site_lon < -90.0)[0]
    src = np.concatenate([np.arange(n_sites), east, west])
    tlon = np.concatenate([site_lon, site_lon[east] - 360.0, site_lon[west] + 360.0])
    tlat = np.concatenate([site_lat, site_lat[east], site_lat[west]])
    tree = shapely.STRtree(shapely.points(tlon, tlat))

    B = common.lat_bound_deg(d)
    L = common.lon_bound_deg(ilat, d)
    polar = ~(L < 90.0)
    ordinary = np.nonzero(~polar)[0]
    r = np.sqrt(L[ordinary] ** 2 + B * B)
    qi, qt = tree.query(inc_pts[ordinary], predicate="dwithin", distance=r)
    ci = [ordinary[qi]]
    ct = [qt]
    cap = np.nonzero(polar)[0]
    if len(cap):
        # a band of latitude around the whole globe, on the original sites only
        lo = np.where(ilat[cap] >= 0, ilat[cap] - B, -90.0)
        hi = np.where(ilat[cap] >= 0, 90.0, ilat[cap] + B)
        boxes = shapely.box(-180.0, lo, 180.0, hi)
        pi, pt = tree.query(boxes, predicate="intersects")
        keep = pt < n_sites
        ci.append(cap[pi[keep]])
        ct.append(pt[keep])
    ci = np.concatenate(ci)
    cs = src[np.concatenate(ct)]
    t_tree = time.perf_counter() - t0

    _, _, dist = pyproj.Geod(ellps="WGS84").inv(ilon[ci], ilat[ci], site_lon[cs], site_lat[cs])
    ok = dist <= d
    t_total = time.perf_counter() - t0
    return ci[ok], cs[ok], t_tree, t_total, len(ci)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("data")
    ap.add_argument("out")
    ap.add_argument("--d", type=float, default=5000.0)
    ap.add_argument("--reps", type=int, default=3)
    a = ap.parse_args()
    _, ilon, ilat = common.load(os.path.join(a.data, "incidents.csv"))
    _, slon, slat = common.load(os.path.join(a.data, "sites.csv"))
    inc_pts = shapely.points(ilon, ilat)

    best = None
    for _ in range(a.reps):
        res = join(inc_pts, ilon, ilat, slon, slat, a.d)
        if best is None or res[3] < best[3]:
            best = res
        del res
    i, j, t_tree, t_total, cands = best
    n, sha = common.write_pairs(a.out, i, j)
    common.report(
        "shapely",
        t_total,
        n,
        sha,
        out=a.out,
        strtree_seconds=round(t_tree, 4),
        geodesic_seconds=round(t_total - t_tree, 4),
        candidates=cands,
        versions=f"shapely {shapely.__version__} (GEOS {shapely.geos_version_string}), pyproj {pyproj.__version__} (PROJ {pyproj.proj_version_str})",
    )


if __name__ == "__main__":
    main()
