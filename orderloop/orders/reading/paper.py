"""A paper order read into the intake form: the upload kept as a ``PaperReading``, read page by page in the worker
(``paper_read``, its progress saved after each page), and what was read turned into the values of the intake
form with its uncertain fields named. Nothing becomes an order until the user who uploaded it confirms the form;
the scan is then kept with the order (``reading_scan``)."""
import base64
import json
import logging
from datetime import date
from decimal import Decimal

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_

from orderloop.accounts.permissions import ORDER_ENTRY
from orderloop.core import clock
from orderloop.core.ids import id_or_none
from orderloop.core.exceptions import InvalidInput, NotAllowed
from orderloop.orders.models import Attachment, PaperReading
from orderloop.orders.reading.engine import document_read, engine_available
from orderloop.orders.reading.understanding import order_understand
from orderloop.orders.uploads import checked_upload, file_stored, files_kept_on_commit

logger = logging.getLogger(__name__)
LABELS = {"customer_id": N_("客户名称"), "contact_name": N_("联系人"), "contact_phone": N_("联系方式"),
          "order_date": N_("下单日期"), "payment_terms": N_("付款方式"), "delivery_address": N_("交付地址"),
          "requested_date": N_("交付日期"), "special_requirements": N_("特殊需求")}
LINE_FIELDS = {"model": "product_id", "name": "product_id", "quantity": "quantity", "unit_price": "unit_price",
               "amount": "quantity", "unit": "product_id"}
FORM_FIELDS = {"customer_name": "customer_id", "contact_name": "contact_name", "contact_phone": "contact_phone",
               "order_date": "order_date", "payment_terms": "payment_terms", "delivery_address": "delivery_address",
               "requested_date": "requested_date", "special_requirements": "special_requirements"}


def paper_reading_start(*, actor, upload) -> PaperReading:
    """Keep an uploaded scan or photo to be read by the worker; refused when the engine is not available here."""
    if not actor.has_role(*ORDER_ENTRY):
        raise NotAllowed(_("只有销售助理或客户经理可以录入订单"))
    if not engine_available():
        raise InvalidInput(_("识别不可用：本机未安装识别引擎，请手工录入"), errors={"scan": [_("识别不可用")]})
    if upload is None:
        raise InvalidInput(_("请选择要识别的扫描件或照片"), errors={"scan": [_("请选择要识别的扫描件或照片")]})
    _kind, filename, content_type, content = checked_upload(upload, field="scan")
    with files_kept_on_commit():
        reading = PaperReading(filename=filename[:255], content_type=content_type, created_by=actor, created_at=clock.now())
        reading.file.save("scan", ContentFile(content), save=False)
        file_stored(reading.file)
        reading.save()
    return reading


def _jsonable(value):
    if isinstance(value, (date, Decimal)):
        return str(value)
    if hasattr(value, "pk"):
        return value.pk
    return value


def paper_read(reading_id: int) -> str:
    """The worker's part: read every page, saving the progress after each, then understand the text. Reading twice
    is harmless: a reading already read or failed is left as it is."""
    reading = PaperReading.objects.filter(pk=reading_id).first()
    if reading is None or reading.state in (PaperReading.State.READ, PaperReading.State.FAILED):
        return "skipped"
    PaperReading.objects.filter(pk=reading.pk).update(state=PaperReading.State.READING)

    def progress(done, of):
        PaperReading.objects.filter(pk=reading.pk).update(pages_done=done, pages_total=of)

    try:
        with reading.file.open("rb") as stored:
            content = stored.read()
        pages = document_read(content, reading.content_type, progress=progress)
        read = order_understand([line for page in pages for line in page.lines], today=clock.today())
    except Exception as exc:  # a damaged file, an engine error: the user is told and types the order in
        logger.exception("paper order %s not read", reading_id)
        PaperReading.objects.filter(pk=reading.pk).update(state=PaperReading.State.FAILED, reason=str(exc)[:500])
        return "failed"
    shown = []
    for page in pages:
        name = default_storage.save(f"paper/pages/{reading.pk}-{page.number}.png", ContentFile(page.png))
        shown.append({"number": page.number, "width": page.width, "height": page.height, "image": name})
    fields = {name: {"value": _jsonable(field.value), "text": field.text, "confidence": field.confidence, "box": field.box,
                     "page": field.page, "flags": field.flags, "uncertain": field.uncertain, "found": field.found}
              for name, field in read.fields().items()}
    draft = {key: ([{k: _jsonable(v) for k, v in line.items()} for line in value] if key == "lines" else _jsonable(value))
             for key, value in read.draft().items()}
    result = {"pages": shown, "fields": fields, "draft": draft, "flags": read.flags()}
    PaperReading.objects.filter(pk=reading.pk).update(state=PaperReading.State.READ, result=json.loads(json.dumps(result)),
                                                      pages_done=len(pages), pages_total=len(pages))
    return "read"


def reading_of(user, reading_id) -> PaperReading | None:
    """The reading ``user`` uploaded, or None (another user's is not theirs to see)."""
    pk = id_or_none(reading_id)
    return PaperReading.objects.filter(pk=pk, created_by=user).first() if pk else None


def reading_form_values(reading: PaperReading) -> tuple[dict, list[tuple[str, str]], list[str]]:
    """(values for the intake form, the form fields read uncertain as (field id, label), what to check) of a
    reading that was read. The flags head the remarks, so that they reach the preliminary review with the order."""
    draft, fields = reading.result.get("draft", {}), reading.result.get("fields", {})
    values = {key: str(value) for key, value in draft.items() if key != "lines" and value not in (None, "")}
    values["lines"] = [{key: str(value) for key, value in line.items()} for line in draft.get("lines", [])]
    uncertain = []
    for name, field in fields.items():
        if not field.get("uncertain"):
            continue
        if name in FORM_FIELDS:
            target = FORM_FIELDS[name]
            pair = (target, _(LABELS[target]))
        elif name.startswith("lines."):
            _lines, position, _column = name.split(".")
            pair = (_form_field(name), _("第%(n)s行") % {"n": position})
        else:
            pair = ("intake-total", _("合计"))
        if pair not in uncertain:
            uncertain.append(pair)
    flags = reading.result.get("flags", [])
    values["channel"] = "paper"
    if flags:
        values["remarks"] = _("识别提示：%(flags)s") % {"flags": "；".join(flags)}
    return values, uncertain, flags


def _form_field(name: str) -> str:
    """The intake form's field (its element is ``f-`` and this) that a read field fills."""
    if name in FORM_FIELDS:
        return FORM_FIELDS[name]
    if not name.startswith("lines."):
        return name  # the total and the amount in capitals: the form computes them, they have no field of their own
    _lines, position, column = name.split(".")
    return f"lines.{int(position) - 1}.{LINE_FIELDS[column]}"


def reading_pages(reading: PaperReading) -> list[dict]:
    """The read pages as the confirming page shows them: the image (a data: URL, so it needs no address of its own
    and is shown only inside the uploader's page) and the box of every field found on it, uncertain ones marked."""
    fields = reading.result.get("fields", {})
    pages = []
    for page in reading.result.get("pages", []):
        with default_storage.open(page["image"], "rb") as stored:
            image = "data:image/png;base64," + base64.b64encode(stored.read()).decode()
        boxes = []
        for name, field in fields.items():
            box = field.get("box")
            if not box or field.get("page") != page["number"]:
                continue
            xs, ys = [point[0] for point in box], [point[1] for point in box]
            boxes.append({"field": _form_field(name), "x": round(min(xs)), "y": round(min(ys)),
                          "width": round(max(xs) - min(xs)), "height": round(max(ys) - min(ys)),
                          "uncertain": field.get("uncertain", False)})
        pages.append({"number": page["number"], "width": page["width"], "height": page["height"], "image": image,
                      "boxes": boxes})
    return pages


def reading_scan(reading: PaperReading) -> tuple:
    """The reading's file as an attachment of the order it becomes (kind, filename, content type, bytes)."""
    with reading.file.open("rb") as stored:
        return Attachment.Kind.SCAN, reading.filename, reading.content_type, stored.read()
