"""Going live from spreadsheets: a file is uploaded and previewed (nothing written), then applied in one
transaction — read again, checked again against the data as it is now, written whole or not at all."""
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _

from orderloop.accounts.permissions import GO_LIVE_IMPORTERS
from orderloop.core import clock
from orderloop.core.audit import audit_record
from orderloop.core.exceptions import InvalidTransition, NotAllowed, NotFound
from orderloop.golive.kinds import KINDS
from orderloop.golive.models import ImportRun
from orderloop.golive.tables import Preview, table_read


def _importer(kind: str):
    if kind not in KINDS:
        raise NotFound(_("未知的导入内容：%(kind)s（可选：%(kinds)s）") % {"kind": kind, "kinds": "、".join(KINDS)})
    return KINDS[kind]


def _may_import(actor) -> None:
    if not actor.has_role(*GO_LIVE_IMPORTERS):
        raise NotAllowed(_("只有系统管理员可以导入上线数据"))


def import_template(kind: str) -> bytes:
    return _importer(kind).template()


def _preview(actor, kind: str, content: bytes, filename: str) -> Preview:
    importer = _importer(kind)
    table, problems = table_read(content, filename, required=importer.REQUIRED, known=importer.COLUMNS)
    if problems:  # a file without its columns is not read further
        return Preview(errors=problems.errors)
    preview = importer.preview(actor, table, problems)
    preview.errors = problems.errors
    return preview


def import_preview(*, actor, kind: str, content: bytes, filename: str) -> ImportRun:
    """Read and check the file, write nothing but the file itself and its preview (an ``ImportRun``)."""
    _may_import(actor)
    preview = _preview(actor, kind, content, filename)
    return ImportRun.objects.create(
        kind=kind, filename=filename[:255], file=ContentFile(content, name=filename[-100:]), summary=preview.summary(),
        state=ImportRun.State.REFUSED if preview.errors else ImportRun.State.PREVIEWED,
        uploaded_by=actor, uploaded_at=clock.now())


def import_apply(*, actor, run_id: int) -> ImportRun:
    """Import a previewed file: checked again against the data as it is now; refused whole (the run says why,
    nothing else is written) or written whole, in one transaction."""
    _may_import(actor)
    with transaction.atomic():
        run = ImportRun.objects.select_for_update().filter(pk=run_id).first()
        if run is None:
            raise NotFound(_("导入记录不存在"))
        if run.state != ImportRun.State.PREVIEWED:
            raise InvalidTransition(_("该文件%(state)s，不能再次导入；请重新上传") % {"state": run.get_state_display()})
        with run.file.open("rb") as handle:
            content = handle.read()
        preview = _preview(actor, run.kind, content, run.filename)
        run.summary = preview.summary()
        if preview.errors:
            run.state = ImportRun.State.REFUSED
            run.save(update_fields=["summary", "state"])
            return run
        KINDS[run.kind].write(actor, preview, run)
        run.state, run.applied_at = ImportRun.State.APPLIED, clock.now()
        run.save(update_fields=["summary", "state", "applied_at"])
        audit_record(actor=actor, obj=run, operation="import", object_type="golive.importrun", changes={
            "kind": run.kind, "file": run.filename, "created": len(preview.create), "updated": len(preview.update),
            "skipped": len(preview.skip)})
    return run


def import_file(*, actor, kind: str, content: bytes, filename: str, dry_run: bool = False) -> ImportRun | Preview:
    """The command line's import: preview and, unless ``dry_run`` or the file has problems, apply at once."""
    if dry_run:
        _may_import(actor)
        return _preview(actor, kind, content, filename)
    run = import_preview(actor=actor, kind=kind, content=content, filename=filename)
    if run.state == ImportRun.State.PREVIEWED:
        run = import_apply(actor=actor, run_id=run.pk)
    return run

