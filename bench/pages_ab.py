#!/usr/bin/env python
"""Two versions of the code compared on the same pages, in one run: each round serves bench/http_load.py's
requests of each scenario in one process (Django's test client, the whole middleware stack, DEBUG off) with the
code of one checkout, then of the other, alternating, against ``DATABASE_URL``.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_pages_1m .venv/bin/python bench/pages_ab.py \\
        --before /tmp/orderloop-before --after . [--rounds 3] [--scenarios "list (page),detail (page)"]

A checkout is a directory holding the code (``git worktree add /tmp/orderloop-before <commit>``); both run with
this interpreter and its packages. Prints milliseconds a request per scenario, round and version, then each
version's range. The HTTP benchmark (http_load.py) measures one version at a time; across its runs the machine's
speed moves more than a change does."""
import argparse
import os
import subprocess
import sys
import time
from pathlib import Path
from statistics import median

SCENARIOS = "floor: sign-in page,list (page),list (API),search (page),search (API),detail (page),detail (API)"


def serve(root: str, names: list[str]) -> None:
    """In a child process: the code of ``root`` serves each scenario's requests once (after 20 to warm up)."""
    sys.path.insert(0, root)
    os.chdir(root)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "orderloop.config.settings")
    os.environ["DJANGO_DEBUG"] = "0"
    import django

    django.setup()
    import orderloop

    if not orderloop.__file__.startswith(str(Path(root).resolve())):
        raise SystemExit(f"the code imported is {orderloop.__file__}, not {root}'s")
    from django.conf import settings
    from django.test import Client

    from bench.http_load import credentials, request_sets, surface_of

    settings.ALLOWED_HOSTS = ["*"]
    creds, sets = credentials(), request_sets()
    client = Client()
    for name in names:
        items, surface = sets[name], surface_of(name)

        def get(user, path):
            header, value = creds[user][surface]
            if header == "Cookie":
                client.cookies[settings.SESSION_COOKIE_NAME] = value.split("=", 1)[1]
                return client.get(path)
            return client.get(path, **{"HTTP_" + header.upper().replace("-", "_"): value})

        for user, path in items[:20]:
            assert get(user, path).status_code == 200, path
        started = time.perf_counter()
        for user, path in items:
            get(user, path)
        print(f"{name}\t{(time.perf_counter() - started) * 1000 / len(items):.2f}", flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--before", required=True)
    parser.add_argument("--after", required=True)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--scenarios", default=SCENARIOS)
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    args = parser.parse_args()
    names = [name.strip() for name in args.scenarios.split(",")]
    if args.serve:
        return serve(str(Path(args.serve).resolve()), names)
    if not os.environ.get("DATABASE_URL"):
        parser.error("DATABASE_URL is needed")
    results: dict[tuple[str, str], list[float]] = {}
    for round_ in range(1, args.rounds + 1):
        sides = [("before", args.before), ("after", args.after)]
        for side, root in sides if round_ % 2 else sides[::-1]:  # who goes first alternates
            done = subprocess.run([sys.executable, __file__, "--serve", root, "--before", args.before, "--after",
                                   args.after, "--scenarios", args.scenarios], check=True, capture_output=True,
                                  text=True)
            for line in done.stdout.splitlines():
                if "\t" not in line:  # anything else the code printed
                    continue
                name, ms = line.split("\t")
                results.setdefault((name, side), []).append(float(ms))
                print(f"round {round_} {side:6} {name:20} {float(ms):7.2f} ms", flush=True)
    print("\n| scenario | before: ms a request, median (range) | after | after ÷ before, each round |\n|---|---:|---:|---:|")
    for name in names:
        before, after = results[(name, "before")], results[(name, "after")]
        ratios = ", ".join(f"{a / b:.2f}" for a, b in zip(after, before))
        print(f"| {name} | {median(before):.1f} ({min(before):.1f}–{max(before):.1f}) "
              f"| {median(after):.1f} ({min(after):.1f}–{max(after):.1f}) | {ratios} |")


if __name__ == "__main__":
    main()
