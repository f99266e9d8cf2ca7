#!/usr/bin/env python
"""Where a page's time goes: the order list, search and detail (pages and API) served in this process by
Django's test client (the whole middleware stack, DEBUG off), under cProfile, against ``DATABASE_URL``.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_pages_1m .venv/bin/python bench/profile_pages.py \\
        [--requests 60] [--only detail] [--explain]

For each scenario: milliseconds per request (and under the profiler), statements per request and their database time, and the share of
the time spent in templates, the ORM (building queries and model instances), the database driver, middleware
(session, user, CSRF, messages, language) and the rest; ``--top`` prints the costliest functions; ``--explain``
prints EXPLAIN ANALYZE of each scenario's slowest statement. The requests are http_load.py's (same data).
"""
import argparse
import cProfile
import os
import pstats
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

BUCKETS = [  # (name, path fragments of the functions whose own time counts for it), first match wins
    ("templates", ("django/template/", "django/templatetags/", "orderloop/core/templatetags", "/templatetags/")),
    ("database driver", ("psycopg/", "psycopg_c", "sqlite3", "django/db/backends/")),
    ("ORM", ("django/db/models/",)),
    ("sessions, auth", ("django/contrib/sessions/", "django/contrib/auth/", "django/core/signing")),
    ("translation", ("django/utils/translation/", "gettext")),
    ("API (ninja, pydantic)", ("ninja/", "pydantic")),
    ("orderloop", ("orderloop/",)),
    ("Django, other", ("django/",)),
]


def bucket_of(filename: str) -> str:
    for name, fragments in BUCKETS:
        if any(f in filename for f in fragments):
            return name
    return "other (stdlib, …)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=60, help="requests per scenario (after 10 warm-up ones)")
    parser.add_argument("--only", default="", help="comma-separated scenario name prefixes")
    parser.add_argument("--top", type=int, default=0, help="print the N costliest functions (own time) per scenario")
    parser.add_argument("--explain", action="store_true")
    parser.add_argument("--sql-chars", type=int, default=600, help="how much of the slowest statement to print")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "orderloop.config.settings")
    os.environ.setdefault("DJANGO_DEBUG", "0")
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from bench.http_load import credentials, request_sets, surface_of

    settings.ALLOWED_HOSTS = ["*"]
    creds, sets = credentials(), request_sets()
    for name, items in sets.items():
        if args.only and not any(name.startswith(p) for p in args.only.split(",")):
            continue
        client = Client()
        surface = surface_of(name)

        def get(user, path):
            header, value = creds[user][surface]
            if header == "Cookie":
                client.cookies[settings.SESSION_COOKIE_NAME] = value.split("=", 1)[1]
                return client.get(path)
            return client.get(path, **{"HTTP_" + header.upper().replace("-", "_"): value})

        for user, path in items[:10]:
            assert get(user, path).status_code == 200, path
        chosen = [items[i % len(items)] for i in range(args.requests)]
        with CaptureQueriesContext(connection) as captured:
            for user, path in chosen:
                get(user, path)
        queries = list(captured.captured_queries)  # connection.queries is a ring: read it before more queries
        statements = len(queries) / len(chosen)
        db_ms = sum(float(q["time"]) for q in queries) * 1000 / len(chosen)
        t0 = time.perf_counter()
        for user, path in chosen:
            get(user, path)
        plain_ms = (time.perf_counter() - t0) * 1000 / len(chosen)
        profile = cProfile.Profile()
        t0 = time.perf_counter()
        profile.enable()
        for user, path in chosen:
            get(user, path)
        profile.disable()
        ms = (time.perf_counter() - t0) * 1000 / len(chosen)
        stats = pstats.Stats(profile)
        own = {}
        total = 0.0
        for (filename, _line, _func), (_cc, _nc, tottime, _ct, _callers) in stats.stats.items():
            own[bucket_of(filename)] = own.get(bucket_of(filename), 0) + tottime
            total += tottime
        shares = ", ".join(f"{k} {v / total:.0%}" for k, v in sorted(own.items(), key=lambda kv: -kv[1]))
        print(f"{name}: {plain_ms:.1f} ms/request ({ms:.1f} under the profiler), {statements:.1f} statements, {db_ms:.1f} ms in "
              f"them (unprofiled run); own time: {shares}", flush=True)
        if args.top:
            stats.sort_stats("tottime").print_stats(args.top)
        if args.explain:
            # a statement run server-side prepared (core/prepared.py) is logged without its text or with $1 for
            # its values: EXPLAIN the slowest of those logged with their values
            explainable = [q for q in queries if q["sql"] and not re.search(r"\$\d", q["sql"])]
            if not explainable:
                print("  no statement logged with its values to EXPLAIN (all prepared server-side)")
                continue
            slowest = max(explainable, key=lambda q: float(q["time"]))
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN ANALYZE " + slowest["sql"])
                print(f"  slowest statement {float(slowest['time']) * 1000:.1f} ms:\n    " + slowest["sql"][:args.sql_chars])
                print("\n".join("    " + row[0] for row in cursor.fetchall()))


if __name__ == "__main__":
    main()
