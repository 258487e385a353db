"""Run every benchmark; each prints its numbers and writes benchmarks/results/<time>-<name>.json."""

import sys

from benchmarks import (
    attachments,
    audit_log,
    banner,
    decisions,
    live,
    load,
    pq_queries,
    queries,
    reviews,
    role_terms,
    scale_data,
    signin,
    signing,
    stall,
)
from benchmarks.common import write_results

SUITES = {"signin": signin, "stall": stall, "decisions": decisions, "queries": queries, "pq": pq_queries,
          "attachments": attachments, "audit": audit_log, "live": live, "banner": banner,
          "scale": scale_data, "load": load, "signing": signing,
          "role-terms": role_terms, "reviews": reviews}

if __name__ == "__main__":
    chosen = sys.argv[1:] or list(SUITES)
    for name in chosen:
        print(f"== {name}", flush=True)
        write_results(name, SUITES[name].run())
