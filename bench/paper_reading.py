#!/usr/bin/env python
"""Reading paper orders (issue #27): the 30 purchase orders of the test set (tests/support/paper.py: 5 layouts,
150–300 dpi, turned up to 5°, blurred, noisy, shaded, some two-page PDFs), each read by the OCR engine
(orders/reading/engine.py) and understood (orders/reading/understanding.py) against a catalogue of the set's
customers and products. Per page: wall clock and CPU; for the process: peak memory (ru_maxrss); and the key
fields (customer, phone, date, total, each line's model, quantity and unit price) read right, and of those read
wrong how many were left unflagged.

    .venv/bin/python bench/paper_reading.py              # all 30, writes bench/results/paper.md
    .venv/bin/python bench/paper_reading.py --count 5 --no-write

Targets: < 10 s and < 1 GB per page on the 2-core machine; ≥ 95 % of key fields right, none wrong unflagged.
"""
import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "orderloop.config.settings")
os.environ.setdefault("ORDERLOOP_VAR_DIR", "/tmp/orderloop-bench-paper")

import django  # noqa: E402

django.setup()

from bench.common import machine, write_section  # noqa: E402
from orderloop.orders.reading.engine import MAX_SIDE, document_read  # noqa: E402
from orderloop.orders.reading.understanding import order_understand  # noqa: E402
from tests.support.paper import key_fields_checked, purchase_orders, set_catalogue  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "paper.md"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=30)
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--alone", type=int, default=3, help="the largest documents read again, each by a process of "
                        "its own, for the memory of reading alone (what the worker holds)")
    parser.add_argument("--memory-only", action="store_true", help="only the memory of reading alone (its own section)")
    parser.add_argument("--read-one", nargs=2, metavar=("FILE", "CONTENT_TYPE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.read_one:
        return read_one(*args.read_one)
    if args.memory_only:
        return memory_only(args)
    known = set_catalogue()
    walls, cpus, right, total, unflagged, wrong_list = [], [], 0, 0, 0, []
    started = datetime.now(UTC)
    load = os.getloadavg()[0]
    for case in purchase_orders(args.count):
        content, content_type = case.file()
        wall, cpu = time.perf_counter(), time.process_time()
        pages = document_read(content, content_type)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        walls += [wall / len(pages)] * len(pages)
        cpus += [cpu / len(pages)] * len(pages)
        read = order_understand([line for page in pages for line in page.lines], catalogue=known, today=date(2024, 6, 1))
        for name, printed, value, flagged in key_fields_checked(case, read):
            total += 1
            if value == printed:
                right += 1
            else:
                wrong_list.append(f"{case.number} ({case.order.layout}, {case.kind}): {name} {printed!r} read {value!r}"
                                  + ("" if flagged else " UNFLAGGED"))
                unflagged += not flagged
        print(f"order {case.number:2} {case.order.layout:11} {case.kind:9} {case.photo.dpi} dpi {case.photo.angle:+.1f}° "
              f"{len(pages)} page(s) {wall:5.1f} s", flush=True)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    info = machine()
    rows = [
        f"Run {started:%Y-%m-%d %H:%M} UTC, `.venv/bin/python bench/paper_reading.py --count {args.count}`, {info['cpu']}, "
        f"{info['cores']} cores, {info['ram']}; load average {load:.1f} at the start (other work on the machine). "
        f"RapidOCR on ONNX Runtime, 1 thread, longest side {MAX_SIDE}.",
        "",
        "| measure | figure |",
        "| --- | --- |",
        f"| pages read | {len(walls)} ({args.count} orders) |",
        f"| wall clock per page: median, max | {statistics.median(walls):.1f} s, {max(walls):.1f} s |",
        f"| CPU per page: median, max | {statistics.median(cpus):.1f} s, {max(cpus):.1f} s |",
        f"| peak memory of the process (drawing the pages too) | {peak_mb:.0f} MB |",
        f"| key fields read right | {right} of {total} ({100 * right / total:.1f} %) |",
        f"| wrong and not flagged | {unflagged} |",
        "",
    ] + ([f"- {line}" for line in wrong_list] + [""] if wrong_list else [])
    print("\n".join(rows))
    if not args.no_write:
        write_section(RESULTS, "paper", "ocr", "\n".join(rows) + "\n",
                      new_file="## Reading paper orders (issue 27)\n\nWritten by `bench/paper_reading.py`.\n")


def memory_only(args) -> None:
    started, load = datetime.now(UTC), os.getloadavg()[0]
    alone = read_alone(purchase_orders(args.count), args.alone)
    rows = [f"Run {started:%Y-%m-%d %H:%M} UTC, `.venv/bin/python bench/paper_reading.py --memory-only`; load average "
            f"{load:.1f} at the start. Each of the {len(alone)} largest documents of the set read by a fresh process "
            "(Django, the engine and its models loaded, the document read: what the worker holds), its peak resident "
            f"memory: {', '.join(f'{mb:.0f}' for mb in alone)} MB; **the largest {max(alone):.0f} MB**.", ""]
    print("\n".join(rows))
    if not args.no_write:
        write_section(RESULTS, "paper", "memory", "\n".join(rows) + "\n", new_file="")


def read_alone(cases, count: int) -> list[float]:
    """The peak memory (MB) of a fresh process (Django, the engine and its models) reading each of the ``count``
    largest documents, as the worker does: what reading a page holds, without this process's drawing."""
    files = sorted((case.file() for case in cases), key=lambda item: -len(item[0]))[:count]
    peaks = []
    with tempfile.TemporaryDirectory() as folder:
        for number, (content, content_type) in enumerate(files):
            path = Path(folder) / f"{number}.bin"
            path.write_bytes(content)
            done = subprocess.run([sys.executable, __file__, "--read-one", str(path), content_type],
                                  capture_output=True, text=True, check=True)
            peaks.append(json.loads(done.stdout.strip().splitlines()[-1])["peak_mb"])
    return peaks


def read_one(path: str, content_type: str) -> None:
    pages = document_read(Path(path).read_bytes(), content_type)
    print(json.dumps({"pages": len(pages), "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


if __name__ == "__main__":
    main()
