"""Every page's reads on the scale data: timings, and whether each statement's plan uses an index.

Each case (``scale_cases``) runs 3 times to warm the cache, as a running server's would be,
then ``BENCH_SAMPLES`` (20) times, each in a new session. Then every SELECT it ran is run
again under EXPLAIN (ANALYZE, BUFFERS), with the call's own SET statements replayed first
(``list_pqs`` turns JIT off), and its plan summarised: the indexes read, any sequential
scan of a big table (the finding this benchmark exists for), the database's own time and
the buffers touched.

A sequential scan is not always a fault: one under a LIMIT may stop after a thousand rows
(the PQ list counts at most 1,001 matches). So each is reported with the rows it read, and
the verdict (``full_scans``) lists those that read more than a tenth of their table.
"""

from __future__ import annotations

import os
import re

from sqlmodel import Session

from benchmarks import scale_cases
from benchmarks.common import captured, summary, time_ms
from harmony_portal.db import make_engine

SAMPLES = int(os.environ.get("BENCH_SAMPLES", 20))
BIG_TABLES = {"user", "organization", "orgrole", "rolerequest", "pq", "pqnote", "auditevent", "notification"}
_INDEX = re.compile(r"(?:Index Scan|Index Only Scan|Bitmap Index Scan)(?: Backward)? (?:using|on) \"?(\w+)\"?")
_SEQ = re.compile(r"Seq Scan on \"?(\w+)\"?")
_TIME = re.compile(r"Execution Time: ([0-9.]+) ms")
_ACTUAL = re.compile(r"actual time=[0-9.]+\.\.[0-9.]+ rows=([0-9]+) loops=([0-9]+)")
_REMOVED = re.compile(r"Rows Removed by Filter: ([0-9]+)")
FULL_SCAN_SHARE = 0.1


def seq_scans(lines: list[str]) -> list[dict]:
    """Each sequential scan of a big table in a plan, with the rows it read (kept + filtered out)."""
    found = []
    for at, line in enumerate(lines):
        if not (match := _SEQ.search(line)) or match.group(1) not in BIG_TABLES:
            continue
        kept, loops = map(int, _ACTUAL.search(line).groups()) if _ACTUAL.search(line) else (0, 1)
        removed = 0
        for following in lines[at + 1:]:
            if "->" in following:
                break
            if m := _REMOVED.search(following):
                removed = int(m.group(1))
        found.append({"table": match.group(1), "rows_read": (kept + removed) * loops})
    return found




def explain(engine, case: scale_cases.Case, table_rows: dict[str, float]) -> list[dict]:
    """EXPLAIN (ANALYZE, BUFFERS) of every SELECT the case runs, summarised."""
    with captured(engine) as seen, Session(engine) as s:
        case(s)
    plans = []
    with engine.connect() as conn:
        for statement, parameters in seen:
            head = statement.lstrip()[:8].upper()
            if head.startswith("SET "):
                conn.exec_driver_sql(statement, parameters)
                continue
            if not head.startswith(("SELECT", "WITH")):
                continue  # writes (a session's last-seen time) and list_pqs's own EXPLAIN
            lines = [r[0] for r in conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)]
            plan = "\n".join(lines)
            big = seq_scans(lines)
            for scan in big:
                scan["full"] = scan["rows_read"] > FULL_SCAN_SHARE * max(table_rows.get(scan["table"], 0), 1)
            buffers = next((line.strip() for line in lines if "Buffers:" in line), "")
            plans.append({"sql": " ".join(statement.split())[:300], "indexes": sorted(set(_INDEX.findall(plan))),
                          "seq_scans": sorted(set(_SEQ.findall(plan))), "big_seq_scans": big,
                          # Rows read and thrown away, by any node: an index walked far shows here.
                          "rows_filtered_out": sum(int(n) for n in _REMOVED.findall(plan)),
                          "execution_ms": float(m.group(1)) if (m := _TIME.search(plan)) else None,
                          "buffers": buffers,
                          # Whole plans only where a big table is scanned; long IN lists cut short.
                          "plan": [line[:400] for line in (lines if big else lines[:12])]})
        conn.rollback()
    return plans


def timed(engine, case: scale_cases.Case) -> dict:
    for _ in range(3):
        with Session(engine) as s:
            shown = case(s)
    samples = []
    for _ in range(SAMPLES):
        with Session(engine) as s:
            samples.append(time_ms(lambda s=s: case(s)))
    return {**summary(samples), "rows_shown": shown}


def measure(url: str) -> dict:
    """Time and explain every case; ``full_scans`` names the cases that read most of a big table."""
    engine = make_engine(url)
    try:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("ANALYZE")  # statistics for indexes made since the fill (expressions)
            table_rows = dict(conn.exec_driver_sql(
                "SELECT relname, reltuples FROM pg_class WHERE relkind = 'r' AND relname = ANY(%(t)s)",
                {"t": sorted(BIG_TABLES)}).all())
        people = scale_cases.people(engine)
        results, full = {}, {}
        for name, case in scale_cases.cases(people).items():
            timing = timed(engine, case)
            plans = explain(engine, case, table_rows)
            big = [scan for p in plans for scan in p["big_seq_scans"]]
            results[name] = {**timing, "statements": len(plans),
                             "rows_filtered_out": sum(p["rows_filtered_out"] for p in plans),
                             "indexes": sorted({i for p in plans for i in p["indexes"]}),
                             "big_seq_scans": big, "database_ms": round(sum(p["execution_ms"] or 0 for p in plans), 2),
                             "plans": plans}
            if whole := sorted({scan["table"] for scan in big if scan["full"]}):
                full[name] = whole
            scans = ", ".join(f"{s['table']} ({s['rows_read']:,} rows{', FULL' if s['full'] else ''})" for s in big)
            print(f"{name}: median {timing['median_ms']} ms, p95 {timing['p95_ms']} ms, rows {timing['rows_shown']}, "
                  f"db {results[name]['database_ms']} ms, filtered out {results[name]['rows_filtered_out']:,}"
                  + (f", seq scan: {scans}" if big else ""), flush=True)
    finally:
        engine.dispose()
    return {"samples": SAMPLES, "people": {"admin": people.admin.user_id, "big_official": people.big_official.user_id,
                                           "official": people.official.user_id, "provider": people.provider.user_id,
                                           "big_org": people.big_org, "official_org": people.official_org,
                                           "pq_id": people.pq_id},
            "table_rows": table_rows, "full_scans": full, "pages": results}
