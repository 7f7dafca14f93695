#!/usr/bin/env python3
"""Run churn's Spark query (`churn sql --dialect spark --table purchases`) in local
mode on a purchases CSV, and write the daily table as one CSV file. For
scripts/bench_spark.

Usage: spark_daily.py QUERY.sql PURCHASES.csv DAILY.csv

Prints two lines on stdout: "start <seconds>" (starting Spark's JVM and session)
and "query <seconds>" (reading the lines, the query and writing the table).
"""

import glob
import os
import shutil
import sys
import tempfile
import time


def main() -> int:
    if len(sys.argv) != 4:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    query_path, purchases, daily = sys.argv[1:]
    with open(query_path, encoding="utf-8") as f:
        query = f.read()

    t0 = time.perf_counter()
    from pyspark.sql import SparkSession

    spark = (
        SparkSession.builder.master(f"local[{os.cpu_count() or 2}]")
        .appName("churn-daily")
        .config("spark.driver.memory", "6g")
        # A few partitions per core: the default 200 is for clusters.
        .config("spark.sql.shuffle.partitions", str(4 * (os.cpu_count() or 2)))
        .config("spark.ui.enabled", "false")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    t1 = time.perf_counter()
    print(f"start {t1 - t0:.6f}", flush=True)

    # Typed as a warehouse would hold them: dates as DATE, amounts as numbers.
    schema = (
        "customer_id STRING, date DATE, amount DOUBLE, "
        "store STRING, employee STRING, category STRING"
    )
    lines = spark.read.csv(purchases, header=True, schema=schema, mode="FAILFAST")
    lines.createOrReplaceTempView("purchases")
    out = tempfile.mkdtemp(prefix="churn-spark-", dir=os.path.dirname(os.path.abspath(daily)))
    try:
        # The sorted ranges are written in parallel (part-00000 holds the first),
        # then joined in order under one header: coalesce(1) would sort in one task.
        table = spark.sql(query)
        table.write.mode("overwrite").csv(out, header=False, emptyValue="")
        parts = sorted(glob.glob(os.path.join(out, "part-*.csv")))
        with open(daily, "wb") as f:
            f.write((",".join(table.columns) + "\n").encode())
            for part in parts:
                with open(part, "rb") as p:
                    shutil.copyfileobj(p, f)
    finally:
        shutil.rmtree(out, ignore_errors=True)
    t2 = time.perf_counter()
    print(f"query {t2 - t1:.6f}", flush=True)
    spark.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
