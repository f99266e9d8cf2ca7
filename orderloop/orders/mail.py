"""Orders that arrive by e-mail: an uploaded .eml or a message in the order mailbox
(IMAP, polled by the worker). The mail and its attachments are kept as the order's
source; the sender is matched to a customer contact; a spreadsheet attachment in the
layout of register 1 becomes the order's lines."""
import email
import imaplib
import io
import logging
import urllib.parse
import zipfile
from dataclasses import dataclass, field
from email import policy

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _
from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from orderloop.core import clock
from orderloop.core.exceptions import InvalidInput, NotFound
from orderloop.masterdata.services import customers_visible_to
from orderloop.masterdata.models import Contact, Customer, Product
from orderloop.orders.models import Attachment, IncomingMail
from orderloop.orders.registers import REGISTER_1
from orderloop.orders.schemas import DraftCreate
from orderloop.orders.services import order_receive
from orderloop.orders.uploads import file_stored, files_kept_on_commit

logger = logging.getLogger(__name__)
MAX_MAIL_BYTES = 20 * 1024 * 1024
UNREADABLE_WORKBOOK = (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, OSError)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass
class ParsedMail:
    message_id: str
    sender_name: str
    sender_email: str
    subject: str
    text: str
    attachments: list = field(default_factory=list)  # (filename, content_type, bytes)


def parse_mail(raw: bytes) -> ParsedMail:
    if len(raw) > MAX_MAIL_BYTES:
        raise InvalidInput(_("邮件过大（最大 20 MB）"), errors={"file": [_("邮件过大（最大 20 MB）")]})
    message = email.message_from_bytes(raw, policy=policy.default)
    if not message.get("From"):
        raise InvalidInput(_("不是有效的邮件（.eml）文件"), errors={"file": [_("缺少发件人")]})
    sender = message["From"].addresses[0] if message["From"].addresses else None
    body = message.get_body(preferencelist=("plain", "html"))
    text = body.get_content() if body is not None else ""
    attachments = []
    for part in message.iter_attachments():
        content = part.get_payload(decode=True) or b""
        attachments.append((part.get_filename() or "attachment", part.get_content_type(), content))
    return ParsedMail(
        message_id=str(message.get("Message-ID", "")).strip(), sender_name=sender.display_name if sender else "",
        sender_email=(sender.addr_spec if sender else "").lower(), subject=str(message.get("Subject", "")),
        text=text.strip(), attachments=attachments,
    )


def lines_from_spreadsheet(content: bytes) -> list[dict]:
    """Lines from a workbook in the layout of register 1 (规格型号, 数量, 单价); rows it cannot read are skipped
    and left for the reviewer, who sees the spreadsheet with the order."""
    try:
        rows = list(load_workbook(io.BytesIO(content), read_only=True, data_only=True).worksheets[0].iter_rows(values_only=True))
    except UNREADABLE_WORKBOOK as exc:  # the reviewer reads the attachment itself
        logger.info("spreadsheet attachment not read into lines: %s", exc)
        return []
    if not rows:
        return []
    header = [str(v).strip() if v is not None else "" for v in rows[0]]
    if "规格型号" not in header or "数量" not in header:
        return []
    at = {name: header.index(name) for name in REGISTER_1 if name in header}
    products = {p.model: p for p in Product.objects.filter(is_active=True)}
    lines = []
    for row in rows[1:]:
        model = str(row[at["规格型号"]] or "").strip()
        try:
            quantity = float(row[at["数量"]])
        except (TypeError, ValueError):
            continue
        if model not in products or quantity <= 0:
            continue
        line = {"product_id": products[model].pk, "quantity": str(row[at["数量"]])}
        price = row[at["单价(元)"]] if "单价(元)" in at else None
        if price not in (None, ""):
            line["unit_price"] = str(price)
        lines.append(line)
    return lines


def customer_for(sender_email: str) -> tuple[Customer | None, Contact | None]:
    contact = Contact.objects.select_related("customer").filter(email__iexact=sender_email).first() if sender_email else None
    return (contact.customer, contact) if contact else (None, None)


def mail_receive(*, raw: bytes, actor=None, customer: Customer | None = None) -> IncomingMail:
    """Keep the mail; when its customer is known (given, or matched by the sender), make it an order at 已接收."""
    parsed = parse_mail(raw)
    if parsed.message_id:
        seen = IncomingMail.objects.filter(message_id=parsed.message_id).exclude(state=IncomingMail.State.IGNORED).first()
        if seen:
            return seen
    with files_kept_on_commit():
        incoming = IncomingMail(message_id=parsed.message_id[:300], sender=f"{parsed.sender_name} <{parsed.sender_email}>"[:300],
                                subject=parsed.subject[:300], received_at=clock.now())
        incoming.raw.save("mail.eml", io.BytesIO(raw), save=False)
        file_stored(incoming.raw)
        incoming.save()
        matched, contact = customer_for(parsed.sender_email)
        customer = customer or matched
        if customer is not None:
            _make_order(incoming, parsed, raw, customer=customer, contact=contact, actor=actor)
    return incoming


def mail_convert(*, incoming_id: int, actor, customer_id: int) -> IncomingMail:
    """A waiting mail becomes an order once a user names its customer."""
    with transaction.atomic():
        incoming = IncomingMail.objects.select_for_update().filter(pk=incoming_id).first()
        if incoming is None:
            raise NotFound(_("邮件不存在"), errors={"incoming": [_("邮件不存在")]})
        if incoming.state != IncomingMail.State.WAITING:
            return incoming
        customer = customers_visible_to(actor).filter(pk=customer_id).first()
        if customer is None:
            raise InvalidInput(_("客户不存在"), errors={"customer_id": [_("客户不存在")]})
        raw = incoming.raw.read()
        parsed = parse_mail(raw)
        contact = customer.contacts.filter(email__iexact=parsed.sender_email).first()
        _make_order(incoming, parsed, raw, customer=customer, contact=contact, actor=actor)
    return incoming


def _make_order(incoming, parsed: ParsedMail, raw: bytes, *, customer, contact, actor):
    lines = []
    for filename, content_type, content in parsed.attachments:
        if content_type == XLSX or filename.lower().endswith(".xlsx"):
            lines = lines_from_spreadsheet(content)
            if lines:
                break
    remarks = _("邮件「%(subject)s」：%(text)s") % {"subject": parsed.subject, "text": parsed.text}
    data = DraftCreate(
        customer_id=customer.pk, contact_name=(contact.name if contact else parsed.sender_name)[:50],
        contact_phone=contact.phone if contact else "", channel="email", remarks=remarks[:2000], lines=lines,
    )
    attachments = [(Attachment.Kind.SOURCE_MAIL, "mail.eml", "message/rfc822", raw)]
    attachments += [(Attachment.Kind.MAIL_ATTACHMENT, name, ctype, content) for name, ctype, content in parsed.attachments]
    order = order_receive(actor=actor, data=data, attachments=attachments)
    incoming.order, incoming.state = order, IncomingMail.State.CONVERTED
    incoming.save(update_fields=["order", "state"])
    return order


def mailbox_poll(*, url: str | None = None) -> int:
    """Fetch unseen mail from the order mailbox (ORDERLOOP_ORDER_MAILBOX=imaps://user:password@host:993/INBOX)."""
    url = url or settings.ORDERLOOP_ORDER_MAILBOX
    if not url:
        return 0
    parts = urllib.parse.urlsplit(url)
    client_class = imaplib.IMAP4_SSL if parts.scheme == "imaps" else imaplib.IMAP4
    client = client_class(parts.hostname, parts.port or (993 if parts.scheme == "imaps" else 143))
    received = 0
    try:
        client.login(urllib.parse.unquote(parts.username or ""), urllib.parse.unquote(parts.password or ""))
        client.select(parts.path.strip("/") or "INBOX")
        _status, data = client.search(None, "UNSEEN")
        for number in data[0].split():
            _status, fetched = client.fetch(number, "(RFC822)")
            raw = fetched[0][1]
            try:
                mail_receive(raw=raw)
            except Exception:  # one bad mail must not stop the others; it stays unseen for a retry
                logger.exception("could not take in mail %s", number)
                client.store(number, "-FLAGS", "\\Seen")
                continue
            client.store(number, "+FLAGS", "\\Seen")
            received += 1
    finally:
        try:
            client.logout()
        except (imaplib.IMAP4.error, OSError):  # the connection is gone already; nothing is lost
            logger.info("order mailbox logout failed")
    return received
