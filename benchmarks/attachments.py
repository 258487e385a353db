"""The attachment store with the largest files it takes: a 5 MB and a 10 MB PDF.

Each PDF is a real one (pypdf: a few pages and a large embedded file), so ``finish()`` runs
its content and page checks. It is fed to an ``AttachmentWriter`` in 64 KiB chunks read from
disk, as the upload handler (state/pq_detail.py ``receive_files``) feeds the chunks Reflex
streams, then ``finish()`` checks, encrypts and stores it; ``open_plain`` reads it back and
the bytes are checked against the upload's SHA-256.

Every run happens in a fresh process so its memory figures are its own: the peak of
Python allocations while storing or reading (tracemalloc, in a second pass so its overhead
stays out of the timings) and the growth of the peak resident set from just before the
operation (Linux's VmHWM, reset first; ru_maxrss elsewhere). Both must stay far below the
file's size: nothing holds the file whole.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import resource
import secrets
import statistics
import tempfile
import time
import tracemalloc
from io import BytesIO
from pathlib import Path

from benchmarks.common import write_results

CHUNK = 64 * 1024
RUNS = int(os.environ.get("BENCH_RUNS", 7))
SIZES = {"5MB": 5 * 1024 * 1024, "10MB": 10 * 1024 * 1024}  # 10 MB is MAX_BYTES exactly


def _pdf(path: Path, size: int) -> None:
    """A valid PDF of exactly ``size`` bytes: 12 pages plus an embedded file of random bytes."""
    from pypdf import PdfWriter

    def build(payload: int) -> bytes:
        writer = PdfWriter()
        for _ in range(12):
            writer.add_blank_page(width=612, height=792)
        writer.add_attachment("scan.bin", secrets.token_bytes(payload))  # random: nothing to compress
        out = BytesIO()
        writer.write(out)
        return out.getvalue()

    overhead = len(build(1000)) - 1000
    data = build(size - overhead)
    if len(data) != size:  # the length digits of the stream may shift by one
        data = build(size - overhead - (len(data) - size))
    path.write_bytes(data)


def _status_kib(field: str) -> int:
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith(field + ":"))
    return int(line.split()[1])


def _peak_rss_start() -> tuple[str, int]:
    """Where to measure the peak resident set from: Linux's high-water mark, reset here
    (``clear_refs`` 5), from the current RSS; elsewhere the process's ru_maxrss so far."""
    try:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")
        return "VmHWM", _status_kib("VmRSS")
    except OSError:
        return "ru_maxrss", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux


def _peak_rss_growth(start: tuple[str, int]) -> int:
    how, before = start
    peak = _status_kib("VmHWM") if how == "VmHWM" else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return max(0, peak - before) * 1024


def _store(source: str) -> tuple[str, str, int | None]:
    from harmony_portal.services.pq.file_store import AttachmentWriter

    writer = AttachmentWriter(Path(source).name)
    with open(source, "rb") as handle:
        while chunk := handle.read(CHUNK):
            writer.write(chunk)
    stored = writer.finish()
    return stored.storage_key, stored.sha256, stored.pages


def _read(storage_key: str) -> str:
    from harmony_portal.services.pq.file_store import open_plain

    digest = hashlib.sha256()
    for segment in open_plain(storage_key):
        digest.update(segment)
    return digest.hexdigest()


def _measured(fn, *args) -> dict:
    """``fn(*args)`` timed with its RSS peak growth, then again under tracemalloc for its Python peak."""
    rss_start = _peak_rss_start()
    start = time.perf_counter()
    value = fn(*args)
    elapsed = (time.perf_counter() - start) * 1000
    rss_growth = _peak_rss_growth(rss_start)
    tracemalloc.start()
    traced_value = fn(*args)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {"ms": elapsed, "rss_growth": rss_growth, "traced_peak": peak, "value": value, "again": traced_value,
            "rss_how": rss_start[0]}


def _child(operation: str, argument: str, answer) -> None:
    # Loaded before measuring: what every server process has imported already.
    import pypdf  # noqa: F401

    from harmony_portal.services import keys
    from harmony_portal.services.pq import file_store  # noqa: F401 - loaded, as in a server process
    from harmony_portal.settings import get_settings

    get_settings().secret_key()
    keys.current()
    answer.send(_measured(_store if operation == "store" else _read, argument))


def _in_fresh_process(operation: str, argument: str) -> dict:
    context = multiprocessing.get_context("spawn")
    receive, send = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(operation, argument, send))
    process.start()
    result = receive.recv()
    process.join()
    return result


def _summary(values: list[float]) -> dict:
    return {"median": round(statistics.median(values), 1), "max": round(max(values), 1), "n": len(values)}


def run() -> dict:
    results: dict = {"chunk_bytes": CHUNK, "runs": RUNS, "rss_measure": ""}
    with tempfile.TemporaryDirectory(prefix="harmony-bench-") as folder:
        os.environ["HARMONY_UPLOAD_DIR"] = str(Path(folder) / "store")
        os.environ.setdefault("HARMONY_SECRET_KEY", secrets.token_urlsafe(48))
        for label, size in SIZES.items():
            source = Path(folder) / f"referral-{label}.pdf"
            _pdf(source, size)
            expected = hashlib.sha256(source.read_bytes()).hexdigest()
            stores, reads = [], []
            for _ in range(RUNS):
                stored = _in_fresh_process("store", str(source))
                key, sha256, pages = stored["value"]
                assert sha256 == expected and pages == 12, (sha256, pages)
                stores.append(stored)
                read = _in_fresh_process("read", key)
                assert read["value"] == expected
                reads.append(read)
                results["rss_measure"] = read["rss_how"]
            mib = 1024 * 1024
            results[label] = {
                "bytes": size,
                "store_ms": _summary([r["ms"] for r in stores]),
                "read_ms": _summary([r["ms"] for r in reads]),
                "store_traced_peak_mib": _summary([r["traced_peak"] / mib for r in stores]),
                "read_traced_peak_mib": _summary([r["traced_peak"] / mib for r in reads]),
                "store_rss_growth_mib": _summary([r["rss_growth"] / mib for r in stores]),
                "read_rss_growth_mib": _summary([r["rss_growth"] / mib for r in reads]),
                "store_mb_per_s": round(size / mib / (statistics.median([r["ms"] for r in stores]) / 1000), 1),
            }
            print(f"{label}: {results[label]}", flush=True)
    return results


if __name__ == "__main__":
    write_results("attachments", run())
