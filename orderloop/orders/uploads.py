"""Uploaded files: the type is read from the content, not trusted from the name; sizes
are limited; and a file is only kept if the transaction that stored it commits, so a
refused action leaves no orphaned file behind. A file's name is the sender's to show, never a path: it is
shown as its last part, without control characters, and stored under a name of letters, digits, - and _."""
import os
import re
import unicodedata
from contextlib import contextmanager
from contextvars import ContextVar

from django.core.exceptions import SuspiciousFileOperation
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _

from orderloop.accounts.permissions import ATTACHMENT_UPLOADERS
from orderloop.core import clock
from orderloop.core.exceptions import InvalidInput, InvalidTransition, NotAllowed
from orderloop.core.prepared import insert
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


HIDDEN_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}  # control, format (right-to-left override), line breaks
SAFE_EXTENSION = re.compile(r"\.[A-Za-z0-9]{1,10}")


def filename_shown(name: str) -> str:
    """A file's name as its sender gave it, safe to show and to offer as a download's name: its last path part
    (``../``, folders and either slash gone), without control or formatting characters, at most 255 characters
    with its extension kept; ``attachment`` when nothing is left."""
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch) not in HIDDEN_CATEGORIES).strip()
    if name in ("", ".", ".."):
        return "attachment"
    stem, extension = os.path.splitext(name)
    if len(name) <= 255 or len(extension) > 20:
        return name[:255]
    return stem[: 255 - len(extension)] + extension


def filename_stored(shown: str) -> str:
    """The name a file is stored under: the shown name's letters, digits, - and _ (Django's get_valid_filename),
    at most 40 of them, and its extension if that is plain letters and digits; ``attachment`` if none is left."""
    stem, extension = os.path.splitext(shown)
    try:
        stem = get_valid_filename(stem).lstrip(".")[:40]
    except SuspiciousFileOperation:  # nothing valid left of it
        stem = ""
    return (stem or "attachment") + (extension.lower() if SAFE_EXTENSION.fullmatch(extension) else "")


def attachment_store(*, order, kind, filename, content: bytes, actor, now) -> Attachment:
    """Keep a file with an order, its type as its content shows it (a PDF, a PNG or JPEG image, or else just bytes:
    never what a mail's sender declared), its name shown as ``filename_shown`` and stored as ``filename_stored``
    (a mail's ``../x.pdf`` is x.pdf). Inside ``files_kept_on_commit`` the file goes if the transaction does."""
    shown = filename_shown(filename)
    attachment = Attachment(order=order, kind=kind, filename=shown,
                            content_type=sniff(content) or "application/octet-stream",
                            size=len(content), uploaded_by=actor, uploaded_at=now)
    attachment.file.save(filename_stored(shown), ContentFile(content), save=False)
    file_stored(attachment.file)
    return insert(attachment)


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
