#!/usr/bin/env python3
"""PostGIS 3 peer: ST_DWithin on geography (spheroid) with GiST indexes, in a throwaway cluster.

Usage: peer_postgis.py DATA_DIR OUT_PAIRS [--d 5000] [--reps N] [--port 5433] [--workers 2]

Starts a fresh PostgreSQL 15 cluster as the postgres user in a temporary directory (initdb,
trust auth, Unix socket in that directory only, no TCP), loads the CSVs with \\copy, builds

  CREATE TABLE inc  AS SELECT id, ST_SetSRID(ST_MakePoint(lon, lat), 4326)::geography AS g FROM inc_raw;
  CREATE TABLE site AS ... the same;
  CREATE INDEX ON inc  USING gist (g);  CREATE INDEX ON site USING gist (g);  VACUUM ANALYZE;

(not timed; the index build time is reported apart) and times, best of --reps,

  CREATE UNLOGGED TABLE pairs AS
  SELECT i.id AS i, s.id AS j FROM inc i JOIN site s ON ST_DWithin(i.g, s.g, 5000);

(use_spheroid defaults to true: PROJ's geod_inverse, Karney) with parallel workers allowed
(max_parallel_workers_per_gather = --workers). The plan is printed to stderr. The cluster is
stopped and removed at the end, also on errors.
"""

import argparse
import atexit
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

PGBIN = "/usr/lib/postgresql/15/bin"


def as_postgres(args, **kw):
    return subprocess.run(["runuser", "-u", "postgres", "--"] + args, check=True, **kw)


class Cluster:
    def __init__(self, port, workers):
        self.dir = tempfile.mkdtemp(prefix="truce-pg-")
        os.chmod(self.dir, 0o755)
        shutil.chown(self.dir, "postgres", "postgres")
        self.data = os.path.join(self.dir, "data")
        self.port = port
        self.running = False
        as_postgres(
            [f"{PGBIN}/initdb", "-D", self.data, "-A", "trust", "-E", "UTF8", "--no-locale", "-U", "postgres"],
            stdout=subprocess.DEVNULL,
        )
        conf = {
            "listen_addresses": "''",
            "unix_socket_directories": f"'{self.dir}'",
            "port": str(port),
            "shared_buffers": "2GB",
            "work_mem": "256MB",
            "maintenance_work_mem": "1GB",
            "effective_cache_size": "8GB",
            "max_worker_processes": "8",
            "max_parallel_workers": "8",
            "max_parallel_workers_per_gather": str(workers),
            "max_parallel_maintenance_workers": str(workers),
            "min_parallel_table_scan_size": "0",
            "min_parallel_index_scan_size": "0",
            "fsync": "off",
            "synchronous_commit": "off",
            "full_page_writes": "off",
            "wal_level": "minimal",
            "max_wal_senders": "0",
            "max_wal_size": "8GB",
            "jit": "off",
        }
        with open(os.path.join(self.data, "postgresql.conf"), "a") as f:
            f.write("\n# truce spatial bench\n" + "".join(f"{k} = {v}\n" for k, v in conf.items()))
        atexit.register(self.stop)
        as_postgres(
            [f"{PGBIN}/pg_ctl", "-D", self.data, "-l", os.path.join(self.dir, "log"), "-w", "start"],
            stdout=subprocess.DEVNULL,
        )
        self.running = True

    def stop(self):
        if self.running:
            as_postgres([f"{PGBIN}/pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop"], stdout=subprocess.DEVNULL)
            self.running = False
        if os.path.isdir(self.dir):
            shutil.rmtree(self.dir, ignore_errors=True)

    def psql(self, sql, capture=True):
        """Runs sql (a script) with \\timing on; returns stdout."""
        r = subprocess.run(
            ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", self.dir, "-p", str(self.port), "-U", "postgres", "-d", "postgres", "-At"],
            input=sql,
            text=True,
            check=True,
            capture_output=capture,
        )
        return r.stdout if capture else ""


def timed(pg, sql):
    out = pg.psql("\\timing on\n" + sql)
    ms = [float(m) for m in re.findall(r"^Time: ([0-9.]+) ms", out, re.M)]
    if not ms:
        sys.exit(f"postgis: no timing in psql output:\n{out}")
    return ms[-1] / 1000.0, out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("data")
    ap.add_argument("out")
    ap.add_argument("--d", type=float, default=5000.0)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--port", type=int, default=5433)
    ap.add_argument("--workers", type=int, default=2)
    a = ap.parse_args()
    inc_csv = os.path.abspath(os.path.join(a.data, "incidents.csv"))
    site_csv = os.path.abspath(os.path.join(a.data, "sites.csv"))

    t0 = time.perf_counter()
    pg = Cluster(a.port, a.workers)
    try:
        pg.psql("CREATE EXTENSION postgis;")
        versions = pg.psql(
            "SELECT split_part(version(), ' on ', 1) || '; PostGIS ' || postgis_lib_version() || ', PROJ ' || postgis_proj_version();"
        ).strip()
        pg.psql(
            f"""
            CREATE UNLOGGED TABLE inc_raw (id int, lon float8, lat float8);
            CREATE UNLOGGED TABLE site_raw (id int, lon float8, lat float8);
            \\copy inc_raw FROM '{inc_csv}' WITH (FORMAT csv, HEADER true)
            \\copy site_raw FROM '{site_csv}' WITH (FORMAT csv, HEADER true)
            CREATE TABLE inc AS SELECT id, ST_SetSRID(ST_MakePoint(lon, lat), 4326)::geography AS g FROM inc_raw ORDER BY id;
            CREATE TABLE site AS SELECT id, ST_SetSRID(ST_MakePoint(lon, lat), 4326)::geography AS g FROM site_raw ORDER BY id;
            DROP TABLE inc_raw; DROP TABLE site_raw;
            """
        )
        t = time.perf_counter()
        pg.psql("CREATE INDEX inc_g ON inc USING gist (g); CREATE INDEX site_g ON site USING gist (g);")
        index_s = time.perf_counter() - t
        # let the planner use the workers even on the quick data (tables under 8 MB)
        pg.psql(
            f"ALTER TABLE inc SET (parallel_workers = {a.workers}); ALTER TABLE site SET (parallel_workers = {a.workers});"
            " VACUUM ANALYZE inc; VACUUM ANALYZE site;"
        )
        load_s = time.perf_counter() - t0
        n_inc, n_site = map(int, pg.psql("SELECT (SELECT count(*) FROM inc), (SELECT count(*) FROM site);").strip().split("|"))

        query = f"SELECT i.id AS i, s.id AS j FROM inc i JOIN site s ON ST_DWithin(i.g, s.g, {a.d!r})"
        plan = pg.psql("EXPLAIN CREATE UNLOGGED TABLE pairs AS " + query + ";")
        print("postgis plan:\n" + plan, file=sys.stderr, end="")
        runs = []
        for _ in range(a.reps):
            s, _ = timed(pg, "DROP TABLE IF EXISTS pairs;\nCREATE UNLOGGED TABLE pairs AS " + query + ";")
            runs.append(s)
        csv_out = a.out + ".csv"
        pg.psql(f"\\copy pairs TO '{csv_out}' WITH (FORMAT csv)")
        if os.path.getsize(csv_out):
            p = np.loadtxt(csv_out, delimiter=",", dtype=np.uint32, ndmin=2)
        else:
            p = np.zeros((0, 2), dtype=np.uint32)
        os.remove(csv_out)
        n, sha = common.write_pairs(a.out, p[:, 0], p[:, 1])
        workers = re.findall(r"Workers Planned: (\d+)", plan)
        common.report(
            "postgis",
            min(runs),
            n,
            sha,
            runs=[round(x, 4) for x in runs],
            out=a.out,
            workers_planned=int(workers[0]) if workers else 0,
            index_seconds=round(index_s, 2),
            load_seconds=round(load_s, 2),
            incidents=n_inc,
            sites=n_site,
            versions=versions,
        )
    finally:
        pg.stop()


if __name__ == "__main__":
    main()
