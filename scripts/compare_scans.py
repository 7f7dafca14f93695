#!/usr/bin/env python3
"""Compare `churn scan --format csv` outputs customer by customer: status, rule,
visits and revenue. For scripts/bench_spark and scripts/sql_postgres.

Usage: compare_scans.py RAW.csv OTHER.csv...

Prints one line per OTHER file; exits 1 when any customer differs.
"""

import csv
import sys


def judged(path):
    with open(path, newline="", encoding="utf-8") as f:
        return {
            r["customer_id"]: (r["status"], r["rule"], r["visits"], r["revenue"])
            for r in csv.DictReader(f)
        }


def main() -> int:
    if len(sys.argv) < 3:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    raw = judged(sys.argv[1])
    failed = False
    for path in sys.argv[2:]:
        other = judged(path)
        differ = [c for c in raw if other.get(c) != raw[c]]
        differ += [c for c in other if c not in raw]
        print(f"    {path}: {len(raw) - len(differ)} of {len(raw)} customers alike"
              " (status, rule, visits, revenue)")
        for c in differ[:5]:
            print(f"      {c}: raw {raw.get(c)}, daily {other.get(c)}")
        failed |= bool(differ)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
