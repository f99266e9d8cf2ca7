"""Going live from spreadsheets: a file is uploaded and previewed (nothing written), then applied in one
transaction — read again, checked again against the data as it is now, written whole or not at all."""
from django.core.files.base import ContentFile
from django.db import DataError, IntegrityError, transaction
from django.utils.translation import gettext as _

from orderloop.accounts.permissions import GO_LIVE_IMPORTERS
from orderloop.core import clock
from orderloop.core.audit import audit_record
from orderloop.core.exceptions import DomainError, InvalidTransition, NotAllowed, NotFound
from orderloop.golive.kinds import KINDS
from orderloop.golive.models import ImportKind, ImportRun
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
    if table.ignored:
        preview.notes.insert(0, _("这些列未导入（不是%(kind)s导入的列，请核对表头）：%(names)s") % {
            "kind": ImportKind(kind).label, "names": "、".join(table.ignored)})
    return preview


def import_preview(*, actor, kind: str, content: bytes, filename: str) -> ImportRun:
    """Read and check the file, write nothing but the file itself and its preview (an ``ImportRun``)."""
    _may_import(actor)
    preview = _preview(actor, kind, content, filename)
    return ImportRun.objects.create(
        kind=kind, filename=filename[:255], file=ContentFile(content, name=filename[-100:]), summary=preview.summary(),
        state=ImportRun.State.REFUSED if preview.errors else ImportRun.State.PREVIEWED,
        uploaded_by=actor, uploaded_at=clock.now())


def _refused(run: ImportRun, errors: dict) -> ImportRun:
    run.summary = {**run.summary, "errors": errors}
    run.state = ImportRun.State.REFUSED
    run.save(update_fields=["summary", "state"])
    return run


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
        seen = {key: run.summary.get(key) for key in ("create", "update", "skip")}
        run.summary = preview.summary()
        if preview.errors:
            return _refused(run, preview.errors)
        now_counts = {key: run.summary[key] for key in seen}
        if now_counts != seen:  # not what the administrator confirmed: show them the new preview first
            return _refused(run, {_("文件"): [_("预览之后系统中的数据有变化：预览时将新建 %(create)s、更新 %(update)s、跳过 %(skip)s，"
                                              "现在将新建 %(c)s、更新 %(u)s、跳过 %(s)s。未导入任何内容，请重新上传查看新的预览") % {
                **seen, "c": now_counts["create"], "u": now_counts["update"], "s": now_counts["skip"]}]})
        try:
            with transaction.atomic():  # a savepoint: whatever the write did is undone when it is refused
                KINDS[run.kind].write(actor, preview, run)
        except DomainError as exc:  # a check only the write can make, on locked rows (stock below what is reserved)
            return _refused(run, exc.errors or {_("文件"): [exc.message]})
        except (IntegrityError, DataError) as exc:  # the database refused a value, or a colleague just took a name
            return _refused(run, {_("写入"): [_("数据库拒绝写入，未导入任何内容：%(reason)s。可能有同事刚刚录入了相同的客户、"
                                               "产品或订单编号；请核对后重新上传") % {"reason": str(exc).splitlines()[0][:200]}]})
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

