"""`orderloop backup` and `orderloop restore`: one archive, any engine, every row and file identical."""
import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
import uuid
from pathlib import Path

import dj_database_url
import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from tests.support.backup import canonical_state
from tests.support.ci import IN_CI

ROOT = Path(__file__).resolve().parents[2]


# -------------------------------------------------------------------------------------------------------
# Separate databases of either engine, each with its own data folder, driven through the `orderloop` command


def postgres_server_url() -> str:
    """The PostgreSQL server to create scratch databases on: the suite's own when it runs on PostgreSQL."""
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        config = dj_database_url.parse(url)
        auth = config["USER"] + (f":{config['PASSWORD']}" if config.get("PASSWORD") else "")
        return f"postgres://{auth}@{config['HOST'] or '127.0.0.1'}:{config['PORT'] or 5432}"
    return os.environ.get("ORDERLOOP_TEST_POSTGRES", "postgres://postgres@127.0.0.1:5432")


def postgres_admin():
    import psycopg

    try:
        return psycopg.connect(f"{postgres_server_url()}/postgres", autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        reason = f"PostgreSQL is not reachable at {postgres_server_url()} ({str(exc).strip()[:200]})"
        if IN_CI:
            pytest.fail(f"the cross-engine backup test must run in CI: {reason}")
        pytest.skip(f"{reason}; the SQLite↔PostgreSQL backup round trip needs it (set ORDERLOOP_TEST_POSTGRES)")


class Databases:
    """Fresh, migrated databases for the `orderloop` command in subprocesses; PostgreSQL ones dropped afterwards."""

    def __init__(self, tmp_path):
        self.tmp_path, self.created = tmp_path, []

    def fresh(self, engine: str, name: str) -> dict:
        env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE", "ORDERLOOP_MEDIA_ROOT"}}
        env.update({"ORDERLOOP_VAR_DIR": str(self.tmp_path / name), "DJANGO_SETTINGS_MODULE": "orderloop.config.settings",
                    "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))})
        if engine == "postgresql":
            database = f"orderloop_backup_{name}_{uuid.uuid4().hex[:8]}"
            with postgres_admin() as admin:
                admin.execute(f'CREATE DATABASE "{database}"')
            self.created.append(database)
            env["DATABASE_URL"] = f"{postgres_server_url()}/{database}"
        self.orderloop(env, "migrate", "-v0")
        return env

    def orderloop(self, env, *args, check=True):
        done = subprocess.run([sys.executable, "-m", "orderloop.cli", *args], env=env, cwd=ROOT, capture_output=True,
                              text=True, timeout=300, check=False)
        if check:
            assert done.returncode == 0, done.stdout + done.stderr
        return done

    def state(self, env) -> dict:
        script = "import json; from tests.support.backup import canonical_state; print('STATE', json.dumps(canonical_state()))"
        output = self.orderloop(env, "shell", "-c", script).stdout
        return json.loads(output.split("STATE ", 1)[1])

    def drop(self):
        if not self.created:
            return
        with postgres_admin() as admin:
            for database in self.created:
                admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


@pytest.fixture
def databases(tmp_path):
    dbs = Databases(tmp_path)
    yield dbs
    dbs.drop()


@pytest.fixture
def demo(db):
    call_command("demo", force=True)


def take_backup(path: Path) -> Path:
    call_command("backup", output=str(path))
    return path


# -------------------------------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.postgres
def test_a_backup_restores_on_the_other_engine_and_back_with_every_row_and_file_identical(demo, databases, tmp_path):
    here = connection.vendor
    other = "sqlite" if here == "postgresql" else "postgresql"
    postgres_admin().close()  # skip (or fail in CI) early when there is no server for the scratch database
    original = canonical_state()
    rows = original["rows"]
    assert rows["orders.salesorder"] and rows["orders.orderevent"] and rows["core.auditentry"]
    assert rows["accounts.user_groups"] and rows["orders.attachment"] and original["files"]

    first = take_backup(tmp_path / "first.tar.gz")
    with tarfile.open(first) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))
    assert manifest["format_version"] == 1 and manifest["database_vendor"] == here
    assert {e["model"]: e["rows"] for e in manifest["models"]}["orders.orderevent"] == len(rows["orders.orderevent"])
    assert {f["path"]: f["sha256"] for f in manifest["files"]} == original["files"]
    assert "orders" in manifest["migrations"]

    # here → the other engine: identical
    there = databases.fresh(other, "there")
    done = databases.orderloop(there, "restore", str(first))
    assert "恢复完成" in done.stdout
    assert databases.state(there) == original

    # … and back, from a backup taken there, into a fresh database of this engine: identical again
    second = tmp_path / "second.tar.gz"
    databases.orderloop(there, "backup", "--output", str(second))
    back = databases.fresh(here, "back")
    databases.orderloop(back, "restore", str(second))
    assert databases.state(back) == original

    # the restored database carries on: new rows get fresh keys (sequences were reset), nothing collides
    script = ("from orderloop.core.models import CalendarOverride, AuditEntry; import datetime;"
              "from orderloop.core.audit import audit_record;"
              "c = CalendarOverride.objects.create(date=datetime.date(2031, 1, 2), is_workday=False);"
              "e = audit_record(actor=None, obj=c, operation='created', changes={'x': [None, 1]});"
              "print('NEW', e.pk > max(AuditEntry.objects.exclude(pk=e.pk).values_list('pk', flat=True)))")
    for env in (there, back):
        assert "NEW True" in databases.orderloop(env, "shell", "-c", script).stdout


def test_restore_refuses_a_database_with_data_unless_forced_and_then_restores_it_exactly(demo, tmp_path):
    archive = take_backup(tmp_path / "b.tar.gz")
    before = canonical_state()
    with pytest.raises(CommandError, match="数据库不为空：恢复会覆盖现有数据.*请加 --force"):
        call_command("restore", str(archive))
    from orderloop.core.models import CalendarOverride
    from orderloop.orders.models import SalesOrder

    CalendarOverride.objects.create(date="2031-01-02", is_workday=False)  # made after the backup: goes
    SalesOrder.objects.filter(number="202405-001").update(remarks="改过")
    call_command("restore", str(archive), force=True)
    assert canonical_state() == before


def rewrite(archive: Path, target: Path, change) -> Path:
    """A copy of the archive with ``change(members: dict[name, bytes], manifest)`` applied."""
    with tarfile.open(archive) as tar:
        members = {m.name: tar.extractfile(m).read() for m in tar.getmembers()}
    manifest = json.loads(members.pop("manifest.json"))
    change(members, manifest)
    with tarfile.open(target, "w:gz") as tar:
        for name, body in [*members.items(), ("manifest.json", json.dumps(manifest).encode())]:
            info = tarfile.TarInfo(name)
            info.size = len(body)
            tar.addfile(info, io.BytesIO(body))
    return target


def test_a_tampered_file_is_refused_and_nothing_changes(demo, tmp_path):
    archive = take_backup(tmp_path / "b.tar.gz")

    def tamper(members, manifest):
        name = next(n for n in members if n.startswith("media/orders/"))
        members[name] = members[name][:-1] + b"!"

    tampered = rewrite(archive, tmp_path / "tampered.tar.gz", tamper)
    from orderloop.core.models import CalendarOverride

    CalendarOverride.objects.create(date="2031-01-02", is_workday=False)
    before = canonical_state()
    with pytest.raises(CommandError, match="校验失败：media/orders/.*SHA-256 与清单不符.*未做任何更改"):
        call_command("restore", str(tampered), force=True)
    assert canonical_state() == before


def test_a_restore_that_fails_half_way_leaves_the_database_as_it_was(demo, tmp_path):
    archive = take_backup(tmp_path / "b.tar.gz")

    def dangling(members, manifest):  # an order line whose order is not in the backup, hashes made to match
        name = "data/orders.orderline.jsonl"
        lines = members[name].decode().splitlines()
        row = json.loads(lines[-1])
        row["fields"]["order"] = 999999
        members[name] = ("\n".join([*lines[:-1], json.dumps(row)]) + "\n").encode()
        for entry in manifest["models"]:
            if entry["file"] == name:
                entry["sha256"] = hashlib.sha256(members[name]).hexdigest()

    broken = rewrite(archive, tmp_path / "broken.tar.gz", dangling)
    from orderloop.core.models import CalendarOverride

    CalendarOverride.objects.create(date="2031-01-02", is_workday=False)
    before = canonical_state()
    with pytest.raises(CommandError, match="恢复失败，数据库未作任何更改"):
        call_command("restore", str(broken), force=True)
    assert canonical_state() == before


def test_restore_refuses_a_backup_from_another_migration_state(demo, tmp_path):
    archive = take_backup(tmp_path / "b.tar.gz")

    def older(members, manifest):
        manifest["migrations"]["orders"] = ["0001_initial"]

    with pytest.raises(CommandError, match="备份的迁移状态与当前代码不一致.*orders：备份为 0001_initial"):
        call_command("restore", str(rewrite(archive, tmp_path / "older.tar.gz", older)), force=True)


def test_the_backup_lands_in_the_data_folder_by_default_readable_by_its_owner_only(demo):
    from io import StringIO

    out = StringIO()
    call_command("backup", stdout=out)
    path = Path(out.getvalue().split("备份完成：")[1].split("（")[0])
    try:
        assert path.parent == Path(settings.VAR_DIR) / "backups"
        assert path.name.startswith("orderloop-backup-") and path.name.endswith(".tar.gz")
        assert path.stat().st_mode & 0o077 == 0  # password hashes and tokens are inside
    finally:
        path.unlink()
