"""Field-level audit: snapshot the tracked fields before a change, record the
differences after it, in the same transaction. Exports and document downloads
are recorded too: who took what, with which filter, how many rows."""

from datetime import date, datetime
from functools import cache
from decimal import Decimal

from orderloop.core import clock
from orderloop.core.models import AuditEntry
from orderloop.core.prepared import insert


def _plain(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if hasattr(value, "pk"):
        return value.pk
    return value


def snapshot(obj, fields) -> dict:
    return {name: _plain(getattr(obj, attname)) for name, attname in _attnames(type(obj), tuple(fields))}


@cache
def _attnames(model, fields: tuple) -> tuple:
    """(name, attribute read) per field: a foreign key is recorded by its id."""
    return tuple((name, f"{name}_id" if _is_fk(model, name) else name) for name in fields)


def _is_fk(model, name) -> bool:
    field = model._meta.get_field(name)
    return field.is_relation and field.many_to_one


def diff(before: dict, after: dict) -> dict:
    return {key: [before.get(key), after.get(key)] for key in after.keys() | before.keys() if before.get(key) != after.get(key)}


def audit_entry(*, actor, obj, operation: str, changes: dict, object_type: str | None = None) -> AuditEntry:
    """The entry for a change, not yet saved (many are saved together by a bulk intake)."""
    return AuditEntry(occurred_at=clock.now(), actor=actor, object_type=object_type or obj._meta.label_lower,
                      object_id=str(obj.pk), object_repr=str(obj)[:200], operation=operation, changes=changes)


def audit_record(*, actor, obj, operation: str, changes: dict, object_type: str | None = None) -> AuditEntry | None:
    if not changes:
        return None
    return insert(audit_entry(actor=actor, obj=obj, operation=operation, changes=changes, object_type=object_type))


def download_record(request, *, what: str, object_type: str = "export", object_id="", object_repr: str = "",
                    rows: int | None = None, actor=None, path: str = "") -> AuditEntry:
    """An export or a document taken out of the system (导出/下载): who, what, which filter, how many rows. Without
    a request (the ``orderloop export`` command), ``actor`` (None: the operator at the server) and ``path`` (the
    command line) say who and how."""
    if request is not None:
        path = request.get_full_path()
        actor = request.user if request.user.is_authenticated else None
    changes = {"what": what, "path": path}
    if rows is not None:
        changes["rows"] = rows
    return AuditEntry.objects.create(
        occurred_at=clock.now(), actor=actor,
        object_type=object_type, object_id=str(object_id)[:40], object_repr=(object_repr or what)[:200],
        operation="downloaded", changes=changes)
