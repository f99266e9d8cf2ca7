"""Structured payment terms (SPEC section 9, Money): the instalments' shape and its check, the presets, and the
reading of a free-text 付款方式 ("30%预付,余款到付") as one of them."""
import re
from datetime import date
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from orderloop.core.prepared import PreparedQuery
from orderloop.masterdata.models import PaymentTerm, Trigger

# Triggers that count N days from an event.
COUNTED = {Trigger.DAYS_AFTER_DELIVERY, Trigger.DAYS_AFTER_INVOICE}


def _percent(value: str, trigger: str, days: int = 0) -> dict:
    return {"percent": value, "trigger": trigger, "days": days, "working_days": False}


# The presets, created by masterdata's migration 0008 (its copy of this list is frozen there).
PRESETS = {
    "款到发货": [_percent("100", Trigger.BEFORE_SHIPMENT)],
    "30%预付,余款到付": [_percent("30", Trigger.ON_CONFIRMATION), _percent("70", Trigger.ON_DELIVERY)],
    "货到付款": [_percent("100", Trigger.ON_DELIVERY)],
    "月结30天": [_percent("100", Trigger.DAYS_AFTER_INVOICE, 30)],
    "验收后60天": [_percent("100", Trigger.DAYS_AFTER_DELIVERY, 60)],
    "质保金5%一年": [_percent("95", Trigger.ON_DELIVERY), _percent("5", Trigger.DAYS_AFTER_DELIVERY, 365)],
}

# Other ways the same terms are written (after normalising: half-width punctuation, no spaces).
ALIASES = {
    "先款后货": "款到发货", "100%预付": "款到发货", "全款预付": "款到发货", "款到发货,货到即付": "款到发货",
    "30%预付,70%到付": "30%预付,余款到付", "预付30%,余款到付": "30%预付,余款到付", "30%预付,余款货到付款": "30%预付,余款到付",
    "30%定金,余款到付": "30%预付,余款到付",
    "到付": "货到付款", "货到付款,验收合格后付款": "货到付款",
    "月结30日": "月结30天", "月结三十天": "月结30天",
    "验收后60日": "验收后60天", "验收合格后60天": "验收后60天",
}


def normalised(text: str) -> str:
    text = (text or "").strip()
    text = text.translate(str.maketrans({"，": ",", "、": ",", "；": ",", ";": ",", "％": "%", "。": ""}))
    text = re.sub(r"[0-9０-９]", lambda m: str(int(m.group())) if m.group().isdigit() else m.group(), text)
    return re.sub(r"\s+", "", text).rstrip(",")


def preset_name_for_text(text: str) -> str | None:
    """The preset a free-text 付款方式 names, or None when it names none of them."""
    key = normalised(text)
    if not key:
        return None
    names = {normalised(name): name for name in PRESETS}
    return names.get(key) or ALIASES.get(key)


# "N%预付,余款到付" for any N (and its usual spellings): N % on confirmation, the rest on delivery — or before
# shipment when the rest is paid 发货前.
DEPOSIT_AND_REST = re.compile(r"^(?:预付)?(?P<n>\d{1,2}(?:\.\d{1,2})?)%(?:预付|定金|订金|预付款)?,"
                              r"(?:余款|尾款)(?P<rest>到付|货到付款|到货付清|发货前付清|发货前付|款到发货)$")


def deposit_and_rest(text: str) -> list[dict] | None:
    """The instalments of a "N%预付,余款到付"-style text that is no preset, or None."""
    found = DEPOSIT_AND_REST.match(normalised(text))
    if not found or not 0 < Decimal(found["n"]) < 100:
        return None
    rest = Trigger.BEFORE_SHIPMENT if found["rest"] in ("发货前付清", "发货前付", "款到发货") else Trigger.ON_DELIVERY
    return [_percent(found["n"], Trigger.ON_CONFIRMATION), _percent(str(100 - Decimal(found["n"])), rest)]


# "月结60天", "验收后90天", "货到30天付款" for any N: the whole amount N days after the invoice or the delivery.
COUNTED_TERM = re.compile(r"^(?:(?P<invoice>月结|票到|开票后)|(?P<delivery>验收后|验收合格后|到货后|货到))"
                          r"(?P<n>\d{1,3})(?P<unit>天|日|个工作日)(?:付款|付清|内付款|内付清)?$")


def counted(text: str) -> list[dict] | None:
    """The instalment of a "月结N天"- or "验收后N天"-style text that is no preset, or None."""
    found = COUNTED_TERM.match(normalised(text))
    if not found or not 0 < int(found["n"]) <= 365:
        return None
    trigger = Trigger.DAYS_AFTER_INVOICE if found["invoice"] else Trigger.DAYS_AFTER_DELIVERY
    item = _percent("100", trigger, int(found["n"]))
    item["working_days"] = found["unit"] == "个工作日"
    return [item]


# Read by every action that stores or dates an order's plan: compiled once (core.prepared).
_ACTIVE_PRESET = PreparedQuery(PaymentTerm, lambda name: PaymentTerm.objects.filter(name=name, is_active=True).order_by("pk")[:1])


def term_for_text(text: str) -> PaymentTerm | None:
    """The term a free-text 付款方式 names: the stored preset (one query), else an unsaved term read from a
    "N%预付,余款到付"- or "月结N天"-style text; None when the text names no term."""
    name = preset_name_for_text(text)
    if name is not None:
        found = _ACTIVE_PRESET.all(name)
        return found[0] if found else None
    instalments = deposit_and_rest(text) or counted(text)
    return PaymentTerm(name=normalised(text), instalments=instalments) if instalments else None


def term_name_for_text(text: str) -> str | None:
    """The name of the term term_for_text finds for ``text``, without reading it: the preset's name, or the text
    itself (normalised) when it reads as a term; None when it names none."""
    name = preset_name_for_text(text)
    if name is not None:
        return name
    return normalised(text) if deposit_and_rest(text) or counted(text) else None


def instalment_problems(instalments) -> list[str]:
    """What is wrong with a list of instalments, in words for the person who typed it; [] when it is right.
    Each is a percentage or a fixed amount (not both), a known trigger, a day count for the counted triggers and a
    date for a fixed date; percentages may not exceed 100 in all, and a list of percentages only must make 100."""
    if not isinstance(instalments, list) or not instalments:
        return [_("付款条件至少要有一期")]
    problems = []
    total = Decimal("0")
    only_percent = True
    for n, item in enumerate(instalments, start=1):
        if not isinstance(item, dict):
            problems.append(_("第%(n)d期格式不对") % {"n": n})
            continue
        has_percent, has_amount = item.get("percent") not in (None, ""), item.get("amount") not in (None, "")
        if has_percent == has_amount:
            problems.append(_("第%(n)d期：比例和固定金额须填且只填一个") % {"n": n})
        try:
            value = Decimal(str(item.get("percent") if has_percent else item.get("amount") or "0"))
        except InvalidOperation:
            problems.append(_("第%(n)d期：比例或金额不是数字") % {"n": n})
            continue
        if value <= 0 and (has_percent or has_amount):
            problems.append(_("第%(n)d期：比例或金额须大于0") % {"n": n})
        if has_percent:
            total += value
        else:
            only_percent = False
        trigger = item.get("trigger")
        if trigger not in Trigger.values:
            problems.append(_("第%(n)d期：付款条件未知") % {"n": n})
        elif trigger in COUNTED and (not isinstance(item.get("days"), int) or item["days"] <= 0):
            problems.append(_("第%(n)d期：请填写天数（大于0的整数）") % {"n": n})
        elif trigger == Trigger.FIXED_DATE:
            try:
                date.fromisoformat(str(item.get("date")))
            except ValueError:
                problems.append(_("第%(n)d期：请填写日期，如 2026-12-31") % {"n": n})
    if total > 100:
        problems.append(_("各期比例合计超过100%"))
    elif only_percent and not problems and total != 100:
        problems.append(_("各期比例合计须为100%"))
    return problems
