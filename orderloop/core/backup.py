"""Backup and restore: the whole database and every uploaded file in one archive.

The archive (``orderloop-backup-YYYYMMDD-HHMMSS.tar.gz``) holds

- ``data/<app_label>.<model>.jsonl``: every row of every model, one JSON object a line (Django's JSON Lines
  serializer, primary keys kept). Many-to-many tables (user ↔ group, group ↔ permission, …) are dumped as
  tables of their own, so their keys are kept too. References to content types and permissions, which
  ``migrate`` creates with keys that differ between databases, are written as natural keys
  (``["orders", "salesorder"]``). Content types, permissions and sessions themselves are not dumped.
- ``media/<path>``: every file under ``MEDIA_ROOT``.
- ``manifest.json`` (the last member, written once everything else is in): format version, creation time,
  the migration state (latest migrations per app), the row count and SHA-256 of each data file, the size and
  SHA-256 of each uploaded file.

A restore checks the manifest and every hash before it touches anything, then replaces all rows in one
transaction: a restore that fails leaves the database as it was.
"""
from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import shutil
import tarfile
import tempfile
from datetime import datetime, time
from pathlib import Path, PurePosixPath

from django.apps import apps
from django.conf import settings
from django.core.management.color import no_style
from django.core.serializers.json import DjangoJSONEncoder
from django.core.serializers.jsonl import Deserializer as JsonlDeserializer
from django.core.serializers.jsonl import Serializer as JsonlSerializer
from django.db import connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

FORMAT = "orderloop-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
CHUNK = 1 << 20

# Created by ``migrate`` with keys of their own in each database; referred to by natural key instead.
NATURAL_KEY_MODELS = {"contenttypes.contenttype", "auth.permission"}
# Not data: recreated by ``migrate`` (above), logins that must not survive a restore (sessions), or rows the database
# writes itself from others as they are restored (the names order lines were ordered under, the master data's stamp:
# triggers).
SKIPPED_MODELS = NATURAL_KEY_MODELS | {"accounts.session", "sessions.session", "orders.linename", "core.masterdatastamp"}
# Rows that ``migrate`` itself writes (data migrations): a database holding only these counts as empty.
SEEDED_MODELS = {"auth.group", "orders.approvalpolicy", "orders.stagetemplate", "orders.stagetemplatestep",
                 "notifications.notificationroute", "masterdata.paymentterm"}


class BackupError(Exception):
    """A backup or restore refused or failed; the message is for the operator (Chinese)."""


# ---------------------------------------------------------------------------------------------------------
# What is dumped


def backup_models() -> list:
    """Every concrete model whose rows make up the system, many-to-many tables included, in a stable order."""
    result = []
    for model in apps.get_models(include_auto_created=True):
        opts = model._meta
        if opts.proxy or not opts.managed or opts.label_lower in SKIPPED_MODELS:
            continue
        result.append(model)
    return sorted(result, key=lambda m: m._meta.label_lower)


def _data_name(model) -> str:
    return f"data/{model._meta.label_lower}.jsonl"


class _Encoder(DjangoJSONEncoder):
    """Django's encoder cuts datetimes to milliseconds; a backup keeps them exact."""

    def default(self, o):
        if isinstance(o, (datetime, time)):
            return o.isoformat()
        return super().default(o)


class _Serializer(JsonlSerializer):
    """JSON Lines, primary keys as they are; natural keys only for content types and permissions.

    Many-to-many fields are left out: their tables are dumped as models of their own."""

    def handle_fk_field(self, obj, field):
        self.use_natural_foreign_keys = field.remote_field.model._meta.label_lower in NATURAL_KEY_MODELS
        super().handle_fk_field(obj, field)

    def handle_m2m_field(self, obj, field):
        pass


def _counted(iterable, counter: list[int]):
    for item in iterable:
        counter[0] += 1
        yield item


def migration_state() -> dict[str, list[str]]:
    """The latest migration(s) of each app in the code, after checking the database has them all applied."""
    executor = MigrationExecutor(connection)
    graph = executor.loader.graph
    leaves = graph.leaf_nodes()
    pending = executor.migration_plan(leaves)
    if pending:
        names = "、".join(f"{m.app_label}.{m.name}" for m, _backwards in pending[:5])
        raise BackupError(f"数据库还没有迁移到当前版本（未应用：{names}）。请先运行 orderloop migrate。")
    state: dict[str, list[str]] = {}
    for app_label, name in leaves:
        state.setdefault(app_label, []).append(name)
    return {app: sorted(names) for app, names in sorted(state.items())}


@contextlib.contextmanager
def _snapshot():
    """Read every table from one consistent snapshot, without blocking writers."""
    if connection.in_atomic_block:  # already inside a transaction (tests): it is the snapshot
        yield
        return
    if connection.vendor == "postgresql":
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield
        return
    if connection.vendor == "sqlite":
        # A deferred read transaction: WAL gives it a snapshot and writers carry on (transaction.atomic
        # would BEGIN IMMEDIATE and hold the write lock for the whole backup).
        connection.ensure_connection()
        with connection.cursor() as cursor:
            cursor.execute("BEGIN DEFERRED")
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute("COMMIT")
        return
    with transaction.atomic():
        yield


class _HashingReader:
    """A file object that hashes what is read through it (tarfile reads each member once)."""

    def __init__(self, fileobj):
        self.fileobj, self.sha256, self.size = fileobj, hashlib.sha256(), 0

    def read(self, size=-1):
        data = self.fileobj.read(size)
        self.sha256.update(data)
        self.size += len(data)
        return data


def _add_file(tar: tarfile.TarFile, path: Path, arcname: str) -> dict:
    info = tar.gettarinfo(str(path), arcname=arcname)
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    info.mode = 0o600
    with open(path, "rb") as fh:
        reader = _HashingReader(fh)
        tar.addfile(info, reader)
    return {"path": arcname, "size": reader.size, "sha256": reader.sha256.hexdigest()}


def default_backup_path() -> Path:
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    return Path(settings.VAR_DIR) / "backups" / f"orderloop-backup-{stamp}.tar.gz"


def create_backup(output: Path | None = None) -> tuple[Path, dict]:
    """Write the archive; returns its path and manifest. The archive appears under its name only when complete."""
    output = Path(output) if output else default_backup_path()
    if output.is_dir():
        output = output / default_backup_path().name
    output.parent.mkdir(parents=True, exist_ok=True)
    media_root = Path(settings.MEDIA_ROOT)
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "created_at": timezone.now().isoformat(),
        "database_vendor": connection.vendor,
        "migrations": migration_state(),
        "models": [],
        "files": [],
    }
    partial = output.with_name(f".{output.name}.partial")
    try:
        with tempfile.TemporaryDirectory(prefix=".orderloop-backup-", dir=output.parent) as scratch, \
                open(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as raw, \
                tarfile.open(fileobj=raw, mode="w:gz", compresslevel=6, format=tarfile.PAX_FORMAT) as tar:
            # The rows, one model at a time, through a scratch file (tar needs each member's size first).
            with _snapshot():
                for model in backup_models():
                    scratch_file = Path(scratch) / "rows.jsonl"
                    counter = [0]
                    with open(scratch_file, "w", encoding="utf-8") as fh:
                        rows = model._base_manager.using(connection.alias).order_by("pk").iterator(chunk_size=2000)
                        _Serializer().serialize(_counted(rows, counter), stream=fh, cls=_Encoder)
                    entry = _add_file(tar, scratch_file, _data_name(model))
                    manifest["models"].append({"model": model._meta.label_lower, "file": entry["path"],
                                               "rows": counter[0], "sha256": entry["sha256"]})
                    scratch_file.unlink()
            # The uploaded files, hashed as they are written into the archive.
            if media_root.is_dir():
                for directory, dirnames, filenames in os.walk(media_root):
                    dirnames.sort()
                    for filename in sorted(filenames):
                        path = Path(directory) / filename
                        if not path.is_file() or path.is_symlink() or path == partial or Path(scratch) in path.parents:
                            continue  # (the archive being written, should --output point into MEDIA_ROOT)
                        relative = path.relative_to(media_root).as_posix()
                        entry = _add_file(tar, path, f"media/{relative}")
                        manifest["files"].append({"path": relative, "size": entry["size"], "sha256": entry["sha256"]})
            # The manifest last: it describes what was actually written.
            body = json.dumps(manifest, ensure_ascii=False, indent=1).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mode, info.mtime = len(body), 0o600, int(timezone.now().timestamp())
            tar.addfile(info, io.BytesIO(body))
        os.replace(partial, output)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return output, manifest


# ---------------------------------------------------------------------------------------------------------
# Restore


def read_manifest(tar: tarfile.TarFile) -> dict:
    try:
        member = tar.getmember(MANIFEST)
        manifest = json.load(tar.extractfile(member))
    except (KeyError, ValueError, TypeError) as exc:
        raise BackupError(f"这不是 orderloop 备份文件，或备份已损坏：找不到可读的 {MANIFEST}（{exc}）。") from exc
    if manifest.get("format") != FORMAT:
        raise BackupError("这不是 orderloop 备份文件（清单格式不符）。")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError(f"备份格式版本 {manifest.get('format_version')} 不受支持（本版本支持 {FORMAT_VERSION}）。")
    return manifest


def check_migrations(manifest: dict) -> None:
    current = migration_state()
    recorded = manifest.get("migrations") or {}
    if recorded == current:
        return
    differences = []
    for app in sorted(set(recorded) | set(current)):
        if recorded.get(app) != current.get(app):
            theirs = "、".join(recorded.get(app) or ["无"])
            ours = "、".join(current.get(app) or ["无"])
            differences.append(f"{app}：备份为 {theirs}，当前为 {ours}")
    raise BackupError("备份的迁移状态与当前代码不一致，不能恢复：" + "；".join(differences)
                      + "。请用与备份时相同版本的 orderloop 恢复，恢复后再升级并运行 orderloop migrate。")


def database_has_data() -> bool:
    """True when the database holds anything beyond what ``migrate`` writes itself."""
    return any(model._base_manager.exists() for model in backup_models()
               if model._meta.label_lower not in SEEDED_MODELS and not model._meta.auto_created)


def _safe_relative(name: str) -> bool:
    parts = PurePosixPath(name).parts
    return bool(parts) and not PurePosixPath(name).is_absolute() and ".." not in parts and "" not in parts


def _extract_and_verify(tar: tarfile.TarFile, manifest: dict, staging: Path) -> None:
    """Unpack data and files into ``staging``, checking every size and SHA-256 against the manifest."""
    expected = {entry["file"]: entry["sha256"] for entry in manifest["models"]}
    expected.update({f"media/{entry['path']}": entry["sha256"] for entry in manifest["files"]})
    seen = set()
    for member in tar:
        if member.name == MANIFEST:
            continue
        if member.name not in expected:
            raise BackupError(f"备份中有清单之外的内容：{member.name}。备份可能已被改动；未做任何更改。")
        if not member.isfile() or not _safe_relative(member.name):
            raise BackupError(f"备份中的 {member.name} 不是普通文件或路径不安全；未做任何更改。")
        target = staging / member.name
        target.parent.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        with tar.extractfile(member) as source, open(target, "wb") as out:
            while chunk := source.read(CHUNK):
                digest.update(chunk)
                out.write(chunk)
        if digest.hexdigest() != expected[member.name]:
            raise BackupError(f"校验失败：{member.name} 的 SHA-256 与清单不符，备份已损坏或被改动；未做任何更改。")
        seen.add(member.name)
    missing = sorted(set(expected) - seen)
    if missing:
        raise BackupError(f"备份不完整，缺少：{'、'.join(missing[:5])}；未做任何更改。")


def _load_rows(manifest: dict, staging: Path) -> int:
    """Replace every row (in the caller's transaction). Foreign keys are checked at the end."""
    known = {model._meta.label_lower: model for model in backup_models()}
    in_archive = {entry["model"] for entry in manifest["models"]}
    if in_archive - set(known):
        raise BackupError(f"备份中有当前代码没有的数据表：{'、'.join(sorted(in_archive - set(known)))}。")
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        # Foreign keys are DEFERRABLE INITIALLY DEFERRED (SQLite and PostgreSQL): the tables may be emptied and
        # refilled in any order and are checked together before the commit. Plain DELETEs, not the ORM: this
        # replaces the append-only audit log and order timeline wholesale, which only a restore (--force) may.
        for model in known.values():
            cursor.execute(f"DELETE FROM {quote(model._meta.db_table)}")
        for sessions in (apps.get_model("accounts", "Session"), apps.get_model("sessions", "Session")):
            cursor.execute(f"DELETE FROM {quote(sessions._meta.db_table)}")
    total = 0
    for entry in manifest["models"]:
        count = 0
        with open(staging / entry["file"], encoding="utf-8") as fh:
            for obj in JsonlDeserializer(fh, using=connection.alias):
                # save_base(raw=True): the row exactly as it was (keys, auto_now values), never an UPDATE and never
                # the model's own save(), so append-only models (audit entries) are inserted, not changed.
                obj.save(using=connection.alias, force_insert=True)
                count += 1
        if count != entry["rows"]:
            raise BackupError(f"{entry['model']}：清单记录 {entry['rows']} 行，实际读到 {count} 行。")
        total += count
    connection.check_constraints()
    statements = connection.ops.sequence_reset_sql(no_style(), list(known.values()))
    if statements:
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)
    return total


def _place_files(manifest: dict, staging: Path) -> None:
    media_root = Path(settings.MEDIA_ROOT)
    for entry in manifest["files"]:
        source = staging / "media" / entry["path"]
        target = media_root / entry["path"]
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(source), str(target))


def restore_backup(path: Path, *, force: bool = False) -> dict:
    """Restore an archive into the current (migrated) database. Returns the manifest with totals."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"找不到备份文件：{path}")
    try:
        tar = tarfile.open(path, mode="r:*")  # noqa: SIM115 - closed by the with below
    except (tarfile.TarError, OSError) as exc:
        raise BackupError(f"无法读取备份文件 {path}：{exc}") from exc
    with tar:
        manifest = read_manifest(tar)
        check_migrations(manifest)
        if not force and database_has_data():
            raise BackupError("数据库不为空：恢复会覆盖现有数据（包括审计记录），请加 --force。")
        media_root = Path(settings.MEDIA_ROOT)
        media_root.mkdir(parents=True, exist_ok=True)
        # Staging beside MEDIA_ROOT, so that placing the files is a rename on the same disk.
        with tempfile.TemporaryDirectory(prefix=".orderloop-restore-", dir=media_root.parent) as staging:
            staging = Path(staging)
            try:
                _extract_and_verify(tar, manifest, staging)
            except (tarfile.TarError, OSError, EOFError) as exc:
                raise BackupError(f"备份文件已损坏，无法读取：{exc}；未做任何更改。") from exc
            try:
                with transaction.atomic():
                    manifest["restored_rows"] = _load_rows(manifest, staging)
                    # Files last, still inside the transaction: if they cannot be written the rows roll back.
                    _place_files(manifest, staging)
            except BackupError as exc:
                raise BackupError(f"恢复失败，数据库未作任何更改：{exc}") from exc
            except Exception as exc:
                raise BackupError(f"恢复失败，数据库未作任何更改：{type(exc).__name__}: {exc}") from exc
    return manifest
