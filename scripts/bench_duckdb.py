#!/usr/bin/env python3
"""DuckDB baseline for scripts/bench: recency/frequency/monetary per customer.

Usage: bench_duckdb.py FILE RUNS

Each run opens a fresh in-memory connection, runs the query and fetches every
row; the time of connect + query + fetch is measured with time.perf_counter.
Prints one line per run on stdout: "<seconds> <result rows>".
"""

import sys
import time

import duckdb

QUERY = """
SELECT customer_id,
       max(date)            AS last,
       count(DISTINCT date) AS frequency,
       sum(amount)          AS monetary
FROM read_csv_auto(?)
WHERE customer_id IS NOT NULL
GROUP BY customer_id
"""


def main() -> int:
    if len(sys.argv) != 3:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    path, runs = sys.argv[1], int(sys.argv[2])
    for _ in range(runs):
        t0 = time.perf_counter()
        con = duckdb.connect()
        rows = con.execute(QUERY, [path]).fetchall()
        con.close()
        elapsed = time.perf_counter() - t0
        print(f"{elapsed:.6f} {len(rows)}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
