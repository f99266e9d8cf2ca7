"""Uploaded files: the type is read from the content, not trusted from the name; sizes
are limited; and a file is only kept if the transaction that stored it commits, so a
refused action leaves no orphaned file behind."""
from contextlib import contextmanager
from contextvars import ContextVar

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _

from orderloop.accounts.permissions import ATTACHMENT_UPLOADERS
from orderloop.core import clock
from orderloop.core.exceptions import InvalidInput, InvalidTransition, NotAllowed
from orderloop.orders.models import Attachment

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
SIGNATURES = {b"%PDF-": "application/pdf", b"\x89PNG\r\n\x1a\n": "image/png", b"\xff\xd8\xff": "image/jpeg"}
_stored: ContextVar[list | None] = ContextVar("orderloop_stored_files", default=None)


def sniff(content: bytes) -> str | None:
    return next((kind for magic, kind in SIGNATURES.items() if content.startswith(magic)), None)


def checked_upload(upload, *, field: str, kind: str = Attachment.Kind.SCAN) -> tuple:
    """(kind, filename, content type, bytes) of an uploaded PDF, JPG or PNG, or a clear refusal."""
    if upload.size > MAX_UPLOAD_BYTES:
        raise InvalidInput(_("文件过大（最大 10 MB）"), errors={field: [_("文件过大（最大 10 MB）")]})
    content = upload.read()
    content_type = sniff(content)
    if content_type is None:
        raise InvalidInput(_("只能上传 PDF、JPG 或 PNG 文件"), errors={field: [_("只能上传 PDF、JPG 或 PNG 文件")]})
    return kind, upload.name, content_type, content


@contextmanager
def files_kept_on_commit():
    """A transaction whose stored files are deleted again if it does not commit."""
    stored: list = []
    parent = _stored.get()
    token = _stored.set(stored)
    try:
        with transaction.atomic():
            yield
    except BaseException:
        for storage, name in stored:
            storage.delete(name)
        raise
    finally:
        _stored.reset(token)
    if parent is not None:  # the enclosing transaction may still roll back
        parent.extend(stored)


def attachment_store(*, order, kind, filename, content: bytes, actor, now) -> Attachment:
    """Keep a file with an order, its type as its content shows it (a PDF, a PNG or JPEG image, or else just bytes:
    never what a mail's sender declared). Inside ``files_kept_on_commit`` the file goes if the transaction does."""
    attachment = Attachment(order=order, kind=kind, filename=filename[:255],
                            content_type=sniff(content) or "application/octet-stream",
                            size=len(content), uploaded_by=actor, uploaded_at=now)
    attachment.file.save(filename, ContentFile(content), save=False)
    file_stored(attachment.file)
    attachment.save()
    return attachment


def file_stored(fieldfile) -> None:
    """Note a file just written, so that ``files_kept_on_commit`` removes it if its transaction fails."""
    stored = _stored.get()
    if stored is not None:
        stored.append((fieldfile.storage, fieldfile.name))


def attachment_upload(*, order, actor, kind: str, upload, field: str = "file") -> Attachment:
    """An uploaded PDF or image kept with ``order`` (which ``actor`` can see), if the role may add this kind."""
    if kind not in ATTACHMENT_UPLOADERS:
        raise InvalidInput(_("不能上传此类附件"), errors={"kind": [_("可选：%(kinds)s") % {"kinds": "、".join(ATTACHMENT_UPLOADERS)}]})
    if not actor.roles & ATTACHMENT_UPLOADERS[kind]:
        raise NotAllowed(_("您的角色不能上传「%(kind)s」") % {"kind": Attachment.Kind(kind).label})
    if order.archived_at:
        raise InvalidTransition(_("订单已归档，只能查看"))
    kind, filename, _content_type, content = checked_upload(upload, field=field, kind=kind)
    return attachment_store(order=order, kind=kind, filename=filename, content=content, actor=actor, now=clock.now())
