"""``bench/lifecycle.py`` at reduced size: its warmed workers (orderloop, and the floor replaying orderloop's traced
statements through the bare driver) answer one alternating round each, every lifecycle ends as a user would see it
— each order closed, each order-to-cash order with its payment plan settled — and the floor's replayed orders
end the same way, so the floor writes what orderloop writes.

The run is a subprocess on a database of its own (no time asserted): a SQLite file in the SQLite pass; in the
PostgreSQL pass (``DATABASE_URL`` set) a database the bench makes on that server, where the floor also replays the
statements that carry a held write (``WITH held AS (UPDATE …) INSERT …``, core.prepared.Held). Tryton is left out
(``--no-tryton``): its venv comes from PyPI; the full comparison is run by hand: see bench/results/lifecycle.md."""
import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[2]


def test_one_round_of_the_interleaved_bench_completes_every_lifecycle_and_settles_the_orders(tmp_path):
    url = urlsplit(os.environ.get("DATABASE_URL", ""))
    engine = "postgres" if url.scheme.startswith("postgres") else "sqlite"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL", "HUEY_", "ORDERLOOP_"))}
    env["LC_BENCH_DIR"] = str(tmp_path)
    if engine == "postgres":  # the bench's own database on the suite's server, dropped and made again
        env["LC_PG_HOST"], env["LC_PG_DB"] = url.hostname or "127.0.0.1", f"test_lc_bench_{os.getpid()}"
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "lifecycle.py"), "--engine", engine, "--no-tryton",
                           "--rounds", "1", "--chunk-seconds", "0", "--warmup", "1", "--trace-orders", "1",
                           "--profile-orders", "1", "--no-write"], capture_output=True, text=True, env=env, cwd=ROOT)
    if engine == "postgres":
        import psycopg
        with psycopg.connect(f"postgresql://postgres@{env['LC_PG_HOST']}:5432/postgres", autocommit=True) as server:
            server.execute(f'DROP DATABASE IF EXISTS "{env["LC_PG_DB"]}" WITH (FORCE)')
    assert done.returncode == 0, done.stderr[-3000:]
    section, result = done.stdout.rsplit("\n", 2)[0], json.loads(done.stdout.strip().splitlines()[-1])

    assert set(result["pooled"]) == {"orderloop sale", "orderloop order-to-cash", "floor sale, every statement",
                                     "floor sale, writes only", "floor order-to-cash, every statement",
                                     "floor order-to-cash, writes only"}
    assert all(p["lifecycles"] >= 1 for p in result["pooled"].values())
    sale, o2c = result["check"]["sale"], result["check"]["o2c"]
    # orderloop's (warm-up, traced, profiled, measured) and the floor's replayed orders alike
    assert sale["orders"] > 1 and sale["closed"] == sale["orders"] and sale["with_a_plan"] == 0
    assert o2c["orders"] > 1 and o2c["closed"] == o2c["orders"] == o2c["with_a_plan"]
    assert o2c["open_instalments"] == 0
    assert "| orderloop's time ÷ the floor's, order-to-cash, every statement |" in section
    assert "| ORM: building and compiling queries |" in section
