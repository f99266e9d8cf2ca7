"""Uploaded files: the type is read from the content, not trusted from the name; sizes are limited."""
from django.utils.translation import gettext as _

from orderloop.core.exceptions import InvalidInput
from orderloop.orders.models import Attachment

MAX_SCAN_BYTES = 10 * 1024 * 1024
SIGNATURES = {b"%PDF-": "application/pdf", b"\x89PNG\r\n\x1a\n": "image/png", b"\xff\xd8\xff": "image/jpeg"}


def sniff(content: bytes) -> str | None:
    return next((kind for magic, kind in SIGNATURES.items() if content.startswith(magic)), None)


def scan_attachment(upload, *, field: str = "scan") -> tuple:
    """(kind, filename, content type, bytes) for a scan or photo of a paper order."""
    if upload.size > MAX_SCAN_BYTES:
        raise InvalidInput(_("文件过大（最大 10 MB）"), errors={field: [_("文件过大（最大 10 MB）")]})
    content = upload.read()
    content_type = sniff(content)
    if content_type is None:
        raise InvalidInput(_("只能上传 PDF、JPG 或 PNG 文件"), errors={field: [_("只能上传 PDF、JPG 或 PNG 文件")]})
    return Attachment.Kind.SCAN, upload.name, content_type, content
