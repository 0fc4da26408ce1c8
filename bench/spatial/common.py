"""Shared by the Python peers of the spatial-join benchmark: loading, the degree bounds, pair files.

Pair files hold the sorted pairs as little-endian u32 (point index, target index), 8 bytes a pair;
the Rust bench writes the same format, so equal pair sets give byte-identical files.
"""

import csv
import hashlib
import json
import math
import os
import sys

import numpy as np

# WGS84
A = 6378137.0
F = 1 / 298.257223563
E2 = F * (2 - F)
# Shortest metres per degree of latitude: the meridian radius of curvature is smallest at the
# equator, M(0) = a (1 - e^2).
M_DEG_MIN = A * (1 - E2) * math.pi / 180  # 110574.27 m


def lat_bound_deg(d_m):
    """|lat1 - lat2| (deg) that no pair within d_m metres can exceed.

    Any path of length <= d stays within meridian-arc distance d of its start, and the metric
    ds^2 = M^2 dphi^2 + N^2 cos^2(phi) dlambda^2 gives length >= integral of M |dphi| >= M_min |dphi|.
    """
    return d_m / M_DEG_MIN * (1 + 1e-9) + 1e-12


def lon_bound_deg(lat, d_m):
    """Per point: the largest wrapped |lon1 - lon2| (deg) of a pair within d_m, or inf (a polar cap).

    Along the path |lat| <= |lat1| + lat_bound, and N >= a, so length >= a cos(phi_max) |dlambda|.
    """
    lat = np.asarray(lat, dtype=np.float64)
    phi_max = np.abs(lat) + lat_bound_deg(d_m)
    with np.errstate(divide="ignore"):
        dl = d_m / (A * np.cos(np.radians(np.minimum(phi_max, 90.0))) * math.pi / 180) * (1 + 1e-9) + 1e-12
    dl[phi_max >= 90.0 - 1e-9] = np.inf
    return dl


def load(path):
    """(ids, lon, lat) as numpy arrays; checks that ids are the row numbers."""
    with open(path, newline="") as f:
        r = csv.reader(f)
        next(r)
        rows = list(r)
    ids = np.fromiter((int(x[0]) for x in rows), dtype=np.int64, count=len(rows))
    lon = np.fromiter((float(x[1]) for x in rows), dtype=np.float64, count=len(rows))
    lat = np.fromiter((float(x[2]) for x in rows), dtype=np.float64, count=len(rows))
    if not np.array_equal(ids, np.arange(len(rows))):
        sys.exit(f"{path}: ids must be the 0-based row numbers")
    return ids, lon, lat


def sort_pairs(i, j):
    key = np.asarray(i, dtype=np.uint64) << np.uint64(32) | np.asarray(j, dtype=np.uint64)
    key = np.sort(key)
    return np.column_stack(((key >> np.uint64(32)).astype("<u4"), (key & np.uint64(0xFFFFFFFF)).astype("<u4")))


def write_pairs(path, i, j):
    """Sorts and writes the pairs; returns (count, sha256 hex of the file)."""
    p = sort_pairs(i, j)
    if len(p) > 1:
        key = p[:, 0].astype(np.uint64) << np.uint64(32) | p[:, 1].astype(np.uint64)
        if np.any(key[1:] == key[:-1]):
            sys.exit(f"{path}: duplicate pairs")
    b = p.tobytes()
    with open(path, "wb") as f:
        f.write(b)
    return len(p), hashlib.sha256(b).hexdigest()


def report(engine, seconds, pairs, sha, **extra):
    """One JSON line on stdout, the format spatial.sh reads."""
    d = {"engine": engine, "seconds": round(seconds, 4), "pairs": pairs, "sha256": sha}
    d.update(extra)
    print(json.dumps(d), flush=True)


def env_int(name, default):
    v = os.environ.get(name)
    return int(v) if v else default
