"""A database's content, read independently of the backup code, to compare a restore with its original. The
backup tests run it in the test process and, through `orderloop shell`, in the processes of other databases."""
import hashlib
import json
from pathlib import Path

from django.apps import apps
from django.conf import settings

# Created by migrate with keys of their own in each database, so compared by natural key; sessions are not data, nor
# is the master data's stamp (renewed by the restore's own writes).
NATURAL = {"contenttypes.contenttype", "auth.permission"}
NOT_DATA = NATURAL | {"accounts.session", "sessions.session", "core.masterdatastamp"}


def canonical_state() -> dict:
    """Every row of every model (many-to-many tables included) sorted by key, and the SHA-256 of every upload.

    Independent of the backup code: read with the ORM, keys to content types and permissions as natural keys."""
    from django.contrib.auth.models import Permission
    from django.contrib.contenttypes.models import ContentType

    natural = {
        ContentType: {ct.pk: list(ct.natural_key()) for ct in ContentType.objects.all()},
        Permission: {p.pk: list(p.natural_key()) for p in Permission.objects.select_related("content_type")},
    }
    rows = {}
    for model in apps.get_models(include_auto_created=True):
        if model._meta.label_lower in NOT_DATA or model._meta.proxy or not model._meta.managed:
            continue
        fields = model._meta.concrete_fields
        table = []
        for values in model._base_manager.order_by("pk").values_list(*[f.attname for f in fields]):
            row = {}
            for field, value in zip(fields, values):
                if field.is_relation and field.related_model in natural and value is not None:
                    value = natural[field.related_model][value]
                row[field.attname] = value
            table.append(row)
        rows[model._meta.label_lower] = json.loads(json.dumps(table, default=str, sort_keys=True))
    media = Path(settings.MEDIA_ROOT)
    files = {path.relative_to(media).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
             for path in sorted(media.rglob("*")) if path.is_file()} if media.is_dir() else {}
    return {"rows": rows, "files": files}
