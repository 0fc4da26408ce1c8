#!/usr/bin/env python3
"""DuckDB + spatial peer: an R-tree spatial join on degree boxes, then the WGS84 spheroid.

Usage: peer_duckdb.py DATA_DIR OUT_PAIRS [--d 5000] [--reps N] [--variants best|all|ie|NAME,..]

The spatial extension comes from the PyPI package duckdb-extension-spatial (the signed extension
binary in a wheel) and is LOADed from its file, so nothing is downloaded.

Axis order: DuckDB's ST_Distance_Spheroid, ST_DWithin_Spheroid and ST_Distance_Sphere take
[lat, lon] (their docs say so, and ST_Distance_Spheroid(ST_Point(0,0), ST_Point(0,1)) is 111319 m,
a degree of longitude on the equator). So the spheroid column is p = ST_Point2D(lat, lon), while
the planar geometry for the spatial join is g = ST_Point(lon, lat).

Loaded, not timed: the CSVs into tables inc and site, each with g and p, and the sites in the
outer quarters of longitude once more at lon -+ 360 (copy = true) so that boxes crossing the
antimeridian find them.

Timed (best of --reps; threads = all cores): CREATE TABLE pairs AS

  SELECT i.id AS i, s.id AS j
  FROM inc i JOIN site s
    ON ST_Intersects(<box of i>, s.g)               -- planned as SPATIAL_JOIN (R-tree on site)
   AND (NOT <i polar> OR NOT s.copy)
   AND CASE WHEN ST_Distance_Sphere(i.p, s.p) > 5037.5 THEN false
            WHEN ST_Distance_Sphere(i.p, s.p) < 4962.5 THEN true
            ELSE ST_DWithin_Spheroid(i.p, s.p, 5000) END   -- GeographicLib, Karney

<box of i> = ST_MakeEnvelope(lon - L, lat - B, lon + L, lat + B), B = d / 110574.27 m (the
shortest degree of latitude) and L = d / (a cos(|lat| + B) pi/180): every pair within d has
|dlat| <= B and wrapped |dlon| <= L (see common.py). An incident whose band reaches a pole
(<i polar>) takes the whole band, lon -180..180, original sites only. The haversine shortcut is
exact, not an approximation: see SLACK below.

Variants: "duckdb" is the query above (its best; the figure that counts); "duckdb-spheroid" is the
same without the sphere shortcut (ST_DWithin_Spheroid on every box candidate), run by default
too; "duckdb-ie" is a plain range join on lat/lon (DuckDB plans an IE_JOIN), about 100x slower,
run only with --variants ie.
"""

import argparse
import glob
import math
import os
import sys
import time

import duckdb
import duckdb_extension_spatial

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

# Relative gap allowed between the haversine distance on DuckDB's sphere (R = 6371000 m) and the
# WGS84 geodesic: with the same lat/lon the ellipsoid's metric is the sphere's scaled by M/R or
# N/R, both within [0.9944, 1.0045], so every distance is too; 0.75 % leaves margin.
SLACK = 0.0075


def extension_path():
    root = os.path.dirname(duckdb_extension_spatial.__file__)
    paths = sorted(glob.glob(os.path.join(root, "extensions", "*", "spatial.duckdb_extension")))
    if not paths:
        sys.exit(f"no spatial.duckdb_extension under {root}")
    want = os.path.join(root, "extensions", "v" + duckdb.__version__, "spatial.duckdb_extension")
    return want if want in paths else paths[-1]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("data")
    ap.add_argument("out")
    ap.add_argument("--d", type=float, default=5000.0)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--variants", default="all", help="best | all | ie | comma list of names")
    ap.add_argument("--out-dir", help="write pairs of the other variants here too")
    a = ap.parse_args()
    d = a.d
    threads = os.cpu_count()

    con = duckdb.connect()
    con.execute(f"LOAD '{extension_path()}'")
    con.execute(f"SET threads = {threads}")
    cols = "{'id': 'INTEGER', 'lon': 'DOUBLE', 'lat': 'DOUBLE'}"
    B = common.lat_bound_deg(d)
    K = d / (common.A * math.pi / 180)
    # the same bounds as common.lat_bound_deg / lon_bound_deg, in SQL on incident i
    polar = f"(abs(i.lat) + {B!r} >= 90 - 1e-9)"
    L = f"({K!r} / cos(radians(abs(i.lat) + {B!r})) * (1 + 1e-9) + 1e-12)"
    is_polar = f"({polar} OR {L} >= 90)"
    box = (
        f"(CASE WHEN {is_polar} THEN ST_MakeEnvelope(-180, i.lat - {B!r}, 180, i.lat + {B!r}) "
        f"ELSE ST_MakeEnvelope(i.lon - {L}, i.lat - {B!r}, i.lon + {L}, i.lat + {B!r}) END)"
    )
    t0 = time.perf_counter()
    # Tables made in one CREATE TABLE AS each (columns added by UPDATE scan slower).
    con.execute(
        f"""CREATE TABLE inc AS
            SELECT i.id, i.lon, i.lat, ST_Point(i.lon, i.lat) AS g, ST_Point2D(i.lat, i.lon) AS p
            FROM read_csv(?, columns = {cols}, header = true) i ORDER BY i.id""",
        [os.path.join(a.data, "incidents.csv")],
    )
    con.execute(
        f"""CREATE TABLE site0 AS SELECT id, lon, lat FROM read_csv(?, columns = {cols}, header = true) ORDER BY id""",
        [os.path.join(a.data, "sites.csv")],
    )
    con.execute(
        """CREATE TABLE site AS
           SELECT id, lon, lat, copy, ST_Point(lon, lat) AS g, ST_Point2D(lat, lon) AS p FROM (
               SELECT id, lon, lat, false AS copy FROM site0
               UNION ALL SELECT id, lon - 360, lat, true FROM site0 WHERE lon >= 90
               UNION ALL SELECT id, lon + 360, lat, true FROM site0 WHERE lon < -90)"""
    )
    load_s = time.perf_counter() - t0
    n_inc = con.sql("SELECT count(*) FROM inc").fetchone()[0]
    n_site = con.sql("SELECT count(*) FROM site0").fetchone()[0]
    n_copy = con.sql("SELECT count(*) FROM site WHERE copy").fetchone()[0]
    n_polar = con.sql(f"SELECT count(*) FROM inc i WHERE {is_polar}").fetchone()[0]

    ext_version = con.sql(
        "SELECT extension_version FROM duckdb_extensions() WHERE extension_name = 'spatial'"
    ).fetchone()[0]
    spheroid = f"ST_DWithin_Spheroid(i.p, s.p, {d!r})"
    # The sphere settles clear cases (see the module doc): reject above d * (1 + SLACK), accept
    # below d * (1 - SLACK), and only the ring between goes to the spheroid.
    sphere = "ST_Distance_Sphere(i.p, s.p)"
    shortcut = (
        f"(CASE WHEN {sphere} > {d * (1 + SLACK)!r} THEN false "
        f"WHEN {sphere} < {d * (1 - SLACK)!r} THEN true ELSE {spheroid} END)"
    )
    on_box = f"ST_Intersects({box}, s.g) AND (NOT {is_polar} OR NOT s.copy)"
    queries = {
        "duckdb": f"SELECT i.id AS i, s.id AS j FROM inc i JOIN site s ON {on_box} AND {shortcut}",
        "duckdb-spheroid": f"SELECT i.id AS i, s.id AS j FROM inc i JOIN site s ON {on_box} AND {spheroid}",
        "duckdb-ie": f"""SELECT i.id AS i, s.id AS j FROM inc i JOIN site s
            ON s.lat BETWEEN i.lat - {B!r} AND i.lat + {B!r}
           AND s.lon BETWEEN ST_XMin({box}) AND ST_XMax({box})
           AND (NOT {is_polar} OR NOT s.copy) AND {shortcut}""",
    }
    if a.variants == "best":
        names = ["duckdb"]
    elif a.variants == "all":
        names = ["duckdb", "duckdb-spheroid"]
    elif a.variants == "ie":
        names = ["duckdb", "duckdb-spheroid", "duckdb-ie"]
    else:
        names = a.variants.split(",")

    plan = con.sql("EXPLAIN " + queries["duckdb"]).fetchall()[0][1]
    if "SPATIAL_JOIN" not in plan:
        print(plan, file=sys.stderr)
        sys.exit("duckdb: the query is not planned as a SPATIAL_JOIN")

    for name in names:
        runs = []
        for _ in range(a.reps):
            con.execute("DROP TABLE IF EXISTS pairs")
            t = time.perf_counter()
            con.execute("CREATE TABLE pairs AS " + queries[name])
            runs.append(time.perf_counter() - t)
        r = con.sql("SELECT i, j FROM pairs").fetchnumpy()
        out = a.out if name == "duckdb" else os.path.join(a.out_dir or os.path.dirname(a.out), f"pairs-{name}.bin")
        n, sha = common.write_pairs(out, r["i"], r["j"])
        common.report(
            name,
            min(runs),
            n,
            sha,
            runs=[round(x, 4) for x in runs],
            out=out,
            threads=threads,
            load_seconds=round(load_s, 2),
            incidents=n_inc,
            sites=n_site,
            site_copies=n_copy,
            polar_incidents=n_polar,
            versions=f"duckdb {duckdb.__version__}, spatial {ext_version}",
        )


if __name__ == "__main__":
    main()
