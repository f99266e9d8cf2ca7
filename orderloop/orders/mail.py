"""Orders that arrive by e-mail: an uploaded .eml or a message in the order mailbox
(IMAP, polled by the worker). The mail and its attachments are kept as the order's
source; the sender is matched to a customer contact; a spreadsheet attachment in the
layout of register 1 becomes the order's lines.

A mail belongs to the team of its customer: whoever sees the customer (``customers_visible_to``) sees the
mail and may take it in; a mail matched to no customer is shown to the intake of every team
(``mails_visible_to``). A user who uploads a mail from another team's contact is not told that customer's
name: the mail waits for that team. A mail that cannot be taken in — too large, a spreadsheet beyond the
limits of ``orders/sheets.py``, longer than ``MAIL_SECONDS``, anything else refused — answers
422 when uploaded; from the mailbox it is kept as refused with its reason, shown under 邮件订单 and never
fetched again."""
import email
import imaplib
import io
import logging
import urllib.parse
from dataclasses import dataclass, field
from email import policy
from email.parser import BytesHeaderParser

from django.conf import settings
from django.db import InterfaceError, OperationalError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from orderloop.accounts.permissions import ORDER_ENTRY
from orderloop.core import clock
from orderloop.core.exceptions import DomainError, InvalidInput, NotFound
from orderloop.core.time_limit import time_check, time_limit
from orderloop.masterdata.services import customers_visible_to
from orderloop.masterdata.models import Contact, Customer, Product
from orderloop.orders.models import Attachment, IncomingMail
from orderloop.orders.reading.understanding import order_understand, text_lines
from orderloop.orders.registers import REGISTER_1
from orderloop.orders.schemas import DraftCreate
from orderloop.orders.services import order_receive
from orderloop.orders.sheets import UNREADABLE, sheet_check, sheet_rows
from orderloop.orders.uploads import file_stored, files_kept_on_commit

logger = logging.getLogger(__name__)
MAX_MAIL_BYTES = 20 * 1024 * 1024
MAIL_SECONDS = 20  # taking in one mail (uploaded, from the mailbox, or named its customer), spreadsheets included
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
OPEN_STATES = (IncomingMail.State.WAITING, IncomingMail.State.REFUSED)  # listed under 邮件订单, may become orders


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


def _spreadsheet(filename: str, content_type: str) -> bool:
    return content_type == XLSX or filename.lower().endswith(".xlsx")


def spreadsheets_check(parsed: ParsedMail) -> None:
    """Refuse a mail whose spreadsheet is beyond the limits of ``orders/sheets.py`` (``InvalidInput`` naming the
    limit), before anything is kept; a damaged one is only an attachment, which the reviewer opens."""
    for filename, content_type, content in parsed.attachments:
        time_check()
        if _spreadsheet(filename, content_type):
            try:
                sheet_check(content)
            except UNREADABLE as exc:
                logger.info("spreadsheet attachment not readable: %s", exc)


def lines_from_spreadsheet(content: bytes) -> list[dict]:
    """Lines from a workbook in the layout of register 1 (规格型号, 数量, 单价); rows it cannot read are skipped
    and left for the reviewer, who sees the spreadsheet with the order. Read streamed within the limits of
    ``orders/sheets.py``: a workbook beyond them is refused (``InvalidInput``)."""
    try:
        rows = sheet_rows(content)
    except UNREADABLE as exc:  # the reviewer reads the attachment itself
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


def customer_for(sender_email: str, actor=None) -> tuple[Customer | None, Contact | None]:
    """The customer whose contact sent the mail; for a user, a customer they see comes first."""
    if not sender_email:
        return None, None
    contacts = Contact.objects.select_related("customer").filter(email__iexact=sender_email).order_by("pk")
    contact = contacts.filter(customer__in=customers_visible_to(actor)).first() if actor is not None else None
    contact = contact or contacts.first()
    return (contact.customer, contact) if contact else (None, None)


def mails_visible_to(user, queryset=None):
    """The mail ``user`` may see and take in: that of the customers they see (their team's), and mail matched to
    no customer, which is every team's intake's. Only the roles that take orders in see mail at all."""
    queryset = IncomingMail.objects.all() if queryset is None else queryset
    if not user.has_role(*ORDER_ENTRY):
        return queryset.none()
    return queryset.filter(Q(customer__isnull=True) | Q(customer__in=customers_visible_to(user)))


def mail_receive(*, raw: bytes, actor=None, customer: Customer | None = None) -> IncomingMail:
    """Keep the mail; when its customer is known (given, or matched by the sender), make it an order at 已接收.
    A user who does not see the matched customer makes no order: the mail waits for that customer's team."""
    with _mail_time_limit():
        parsed = parse_mail(raw)
        if parsed.message_id:
            seen = IncomingMail.objects.filter(message_id=parsed.message_id).exclude(state=IncomingMail.State.IGNORED).first()
            if seen:
                return seen
        spreadsheets_check(parsed)
        matched, contact = customer_for(parsed.sender_email, actor)
        if customer is None and matched is not None and (
                actor is None or customers_visible_to(actor).filter(pk=matched.pk).exists()):
            customer = matched
        if contact is not None and (customer is None or contact.customer_id != customer.pk):
            contact = None  # another customer's contact: nothing of theirs goes into this order
        with files_kept_on_commit():
            incoming = IncomingMail(message_id=parsed.message_id[:300], sender=f"{parsed.sender_name} <{parsed.sender_email}>"[:300],
                                    subject=parsed.subject[:300], received_at=clock.now(), customer=customer or matched)
            incoming.raw.save("mail.eml", io.BytesIO(raw), save=False)
            file_stored(incoming.raw)
            incoming.save()
            if customer is not None:
                _make_order(incoming, parsed, raw, customer=customer, contact=contact, actor=actor)
    return incoming


def _mail_time_limit():
    """A mail is taken in within ``MAIL_SECONDS``: in a web request well inside gunicorn's 30 seconds, in the
    worker so that one mail cannot hold the mailbox (core/time_limit.py: checked as attachments and rows are read)."""
    return time_limit(MAIL_SECONDS, _("处理邮件超时（超过 %(s)s 秒），未生成订单") % {"s": MAIL_SECONDS})


def mail_convert(*, incoming_id: int, actor, customer_id: int) -> IncomingMail:
    """A waiting (or refused) mail becomes an order once a user who sees it names its customer."""
    with _mail_time_limit(), transaction.atomic():
        if not mails_visible_to(actor).filter(pk=incoming_id).exists():
            raise NotFound(_("邮件不存在"))
        incoming = IncomingMail.objects.select_for_update().get(pk=incoming_id)
        if incoming.state not in OPEN_STATES:
            return incoming
        customer = customers_visible_to(actor).filter(pk=customer_id).first()
        if customer is None:
            raise InvalidInput(_("客户不存在"), errors={"customer_id": [_("客户不存在")]})
        with incoming.raw.open("rb") as stored:
            raw = stored.read()
        parsed = parse_mail(raw)
        contact = customer.contacts.filter(email__iexact=parsed.sender_email).first() if parsed.sender_email else None
        _make_order(incoming, parsed, raw, customer=customer, contact=contact, actor=actor)
    return incoming


def _make_order(incoming, parsed: ParsedMail, raw: bytes, *, customer, contact, actor):
    lines = []
    for filename, content_type, content in parsed.attachments:
        time_check()
        if _spreadsheet(filename, content_type):
            lines = lines_from_spreadsheet(content)
            if lines:
                break
    read = text_read(parsed.text, customer=customer)
    remarks = _("邮件「%(subject)s」：%(text)s") % {"subject": parsed.subject, "text": parsed.text}
    if read["flags"]:
        remarks = _("识别提示：%(flags)s") % {"flags": "；".join(read["flags"])} + "\n" + remarks
    data = DraftCreate(
        customer_id=customer.pk, contact_name=(contact.name if contact else read.get("contact_name") or parsed.sender_name)[:50],
        contact_phone=contact.phone if contact else read.get("contact_phone", ""), channel="email", remarks=remarks[:2000],
        lines=lines or read["lines"], **{name: read[name] for name in MAIL_FIELDS if name in read},
    )
    attachments = [(Attachment.Kind.SOURCE_MAIL, "mail.eml", "message/rfc822", raw)]
    attachments += [(Attachment.Kind.MAIL_ATTACHMENT, name, ctype, content) for name, ctype, content in parsed.attachments]
    order = order_receive(actor=actor, data=data, attachments=attachments)
    incoming.order, incoming.customer, incoming.state, incoming.reason = order, customer, IncomingMail.State.CONVERTED, ""
    incoming.save(update_fields=["order", "customer", "state", "reason"])
    return order


MAIL_TEXT_LINES = 200  # a mail's body is read for its order up to this line (a long thread below is not the order)
MAIL_FIELDS = ("payment_terms", "delivery_address", "requested_date", "special_requirements")


def text_read(text: str, *, customer) -> dict:
    """What a mail's body says of the order (``reading/understanding.py``): the fields of a draft it gives, its
    lines, and ``flags``, what the reviewer should check (an unknown model, a price far off, sums that disagree).
    A delivery date before today is left out (and flagged): the order would be refused for it. Only the first
    ``MAIL_TEXT_LINES`` lines are read, so that a long mail stays well within ``MAIL_SECONDS``."""
    read = order_understand(text_lines(text)[:MAIL_TEXT_LINES], today=clock.today(), customer=customer)
    draft = read.draft()
    flags = read.flags()
    draft.pop("customer_id", None)
    draft.pop("order_date", None)  # the order is received today; the date a mail names is the reviewer's to see
    if draft.get("requested_date") and draft["requested_date"] < clock.today():
        flags.append(_("交付日期 %(date)s 早于今天，未填入") % {"date": draft.pop("requested_date").isoformat()})
    draft["flags"] = [flag for flag in flags if flag != _("没有识别出客户")]
    for name, limit in (("payment_terms", 200), ("delivery_address", 300), ("special_requirements", 2000), ("contact_name", 50)):
        if name in draft:
            draft[name] = draft[name][:limit]
    return draft


def refusal_text(exc: DomainError) -> str:
    """What a refusal says, as one line: its messages by field, or its message."""
    return "；".join(m for messages in exc.errors.values() for m in messages) or exc.message


def _headers(raw: bytes) -> tuple[str, str, str, str]:
    """(Message-ID, sender's name, sender's address, subject) of a mail, as far as its headers can be read."""
    try:
        headers = BytesHeaderParser(policy=policy.default).parsebytes(raw)
        addresses = headers["From"].addresses if headers.get("From") else ()
        sender = addresses[0] if addresses else None
        return (str(headers.get("Message-ID", "")).strip(), sender.display_name if sender else "",
                (sender.addr_spec if sender else "").lower(), str(headers.get("Subject", "")))
    except Exception:  # headers beyond repair: the mail is kept all the same, under its raw file
        logger.info("order mail headers not readable", exc_info=True)
        return "", "", "", ""


def mail_refuse(*, raw: bytes, reason: str) -> IncomingMail:
    """Keep a mail of the order mailbox that could not be taken in, with its reason, for intake to see under
    邮件订单 (the team of the sender's customer, or every team's when the sender is no customer's contact)."""
    message_id, sender_name, sender_email, subject = _headers(raw)
    matched, _contact = customer_for(sender_email)
    with files_kept_on_commit():
        incoming = IncomingMail(message_id=message_id[:300], sender=f"{sender_name} <{sender_email}>"[:300],
                                subject=subject[:300], received_at=clock.now(), customer=matched,
                                state=IncomingMail.State.REFUSED, reason=reason[:500])
        incoming.raw.save("mail.eml", io.BytesIO(raw), save=False)
        file_stored(incoming.raw)
        incoming.save()
    return incoming


def mailbox_take_in(raw: bytes) -> IncomingMail:
    """One mail of the order mailbox, within ``MAIL_SECONDS``: an order, a mail waiting for its customer, or a
    refused mail kept with its reason. Only a database that cannot be reached raises: the mail is fetched again."""
    try:
        return mail_receive(raw=raw)
    except (OperationalError, InterfaceError):
        raise
    except DomainError as exc:
        reason = refusal_text(exc)
    except Exception:  # whatever else stops this mail must not stop it the next minute, and the next
        logger.exception("order mail refused")
        reason = _("处理邮件时出错，未生成订单")
    return mail_refuse(raw=raw, reason=reason)


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
                mailbox_take_in(raw)
            except Exception:  # the database is away: the mail stays unseen and is fetched again
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
