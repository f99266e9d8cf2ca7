"""The order page's longest lists, drawn without a loop of template nodes (orders/order_detail.html):
``{% order_timeline timeline %}``, its 订单动态 folded by step (work.timeline_steps, kept: work.Timeline), ``{% order_timers timers %}``,
its 期限 (timers.deadline_rows), ``{% order_lines lines %}``, its 产品/服务, and ``{% order_instalments plan %}``, its
付款计划.

Each event or deadline is one format string filled with its escaped values (core.html.rows_html): an order that
has been through its whole process has a dozen events and as many deadlines, and their nodes were half of its
page's template time (bench/profile_pages.py). Moments are shown in local time, as the ``|date`` filter shows them."""
from html import escape

from django import template
from django.utils.formats import localize
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.timezone import localtime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_

from orderloop.core.html import rows_html
from orderloop.core.templatetags.calendar_marks import estimated_mark
from orderloop.core.templatetags.money import amount

register = template.Library()

STEP = ('<details class="timeline-step" data-step="{}"{}>\n'
        '    <summary>{} <span class="hint">{} · {}</span></summary>\n'
        '    <ol class="timeline">\n{}    </ol>\n  </details>\n')
EVENT = ('    <li data-event="{}">\n'
         '      <time datetime="{}">{}</time>\n'
         '      <strong>{}</strong>{}{}\n'
         '      <span class="actor">{}</span>{}\n'
         '    </li>\n')
MOVE = '\n      <span class="move">{}</span>'
DETAILS = '\n      <dl class="details">{}</dl>'
DETAIL = "<dt>{}</dt><dd>{}</dd>"
VERDICTS = {"pass": N_("通过"), "needs_info": N_("需补充"), "reject": N_("驳回")}  # an approval's verdict


@register.simple_tag
def order_timeline(timeline):
    """The timeline's steps (work.Timeline), each a <details> of its events (open as timeline_steps decided), the
    newest step last; drawn once for a timeline kept."""
    if timeline.html is None:
        timeline.html = _drawn_timeline(timeline.steps)
    return timeline.html


def _drawn_timeline(steps):
    verdicts = {code: "：" + _(label) for code, label in VERDICTS.items()}
    system = _("系统")
    return rows_html(STEP, (
        (step["status"], " open" if step["open"] else "", step["label"], _minute(step["events"][0]["occurred_at"]),
         _("%(n)s 条记录") % {"n": len(step["events"])}, _events(step["events"], verdicts, system))
        for step in steps))


def _events(events, verdicts, system):
    return rows_html(EVENT, (
        (event["type"], moment.isoformat(), _shown_minute(moment), event["label"],
         verdicts.get((event["payload"] or {}).get("verdict"), ""),
         _move(event), event["actor_name"] or system,
         format_html(DETAILS, rows_html(DETAIL, event["details"])) if event["details"] else "")
        for event in events for moment in [localtime(event["occurred_at"])]))


def _move(event):
    """from → to, where the event moved the order (from left out where it started the order); the labels are text
    (selectors.event_data)."""
    if event["from_status"] == event["to_status"]:
        return ""
    moved = f"{escape(event['from_label'])} → {escape(event['to_label'])}" if event["from_label"] else escape(event["to_label"])
    return mark_safe(MOVE.format(moved))


def _minute(moment) -> str:
    return _shown_minute(localtime(moment))


def _shown_minute(moment) -> str:
    """A moment already in local time, to the minute."""
    return f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d} {moment.hour:02d}:{moment.minute:02d}"


LINE = ('\n      <tr{}><td>{}</td><td>{}{}</td><td>{}</td>\n'
        '        <td class="num">{} {}{}</td><td class="num">{}</td><td class="num">{}</td>\n'
        '        <td>{}</td><td>{}{}</td><td>{}</td></tr>\n    ')
PART = ' <span class="part-mark">{}</span>'
SHORT_CLOSED = '<br><span class="hint">{} {}：{}</span>'


@register.simple_tag
def order_lines(lines):
    """One row a line: 行号, name (a part added later marked 第 n 部分（追加）), model, quantity and unit (what was
    short-closed, why), unit price, amount, 库存状态, 可交付日期 (an estimate marked so) and 约定交付日期 — as the
    template's nodes drew them: quantities localized, amounts as ``|amount``, dates as ``|date:"Y-m-d"``, "—" for
    none."""
    short_closed = _("短交关闭")
    return rows_html(LINE, (
        (format_html(' data-part="{}"', line.part) if line.part > 1 else "", line.position, line.product_name,
         format_html(PART, mark_safe(_("第 %(n)s 部分（追加）") % {"n": line.part})) if line.part > 1 else "",
         line.model, localize(line.quantity.normalize()), line.unit,
         format_html(SHORT_CLOSED, short_closed, localize(line.short_closed_quantity.normalize()),
                     line.short_close_reason) if line.short_closed_quantity else "",
         amount(line.unit_price), amount(line.amount), line.get_availability_display() or "—",
         _day(line.feasible_date), estimated_mark(line.feasible_date), _day(line.agreed_date))
        for line in lines))


INSTALMENT = ('\n      <tr><td>{}</td><td>{}</td><td class="num">{}</td><td class="num">{}</td>\n'
              '        <td>{}</td>\n'
              '        {}</tr>\n    ')
COLLECTED = ('<td class="num">{}</td><td class="num">{}</td>\n'
             '        <td>{}</td>')


@register.simple_tag
def order_instalments(plan):
    """One row an instalment of the payment plan: 期次, 条件, 比例/金额, 金额, 到期日 and, once the plan is stored
    (the order confirmed), 已收, 未收 and where it stands (已核销, 已收齐, 已放行, 待收款)."""
    return rows_html(INSTALMENT, (
        (localize(item.number), item.condition, item.share, amount(item.amount), _day(item.due),
         format_html(COLLECTED, amount(item.received), amount(item.outstanding), _collected(item)) if plan.stored else "")
        for item in plan.instalments))


def _collected(item) -> str:
    if item.outstanding <= 0:
        return _("已核销") if item.written_off else _("已收齐")
    return _("已放行") if item.waived else _("待收款")


def _day(day) -> str:
    return f"{day.year:04d}-{day.month:02d}-{day.day:02d}" if day else "—"


TIMER = ('      <tr class="timer timer-{}" data-kind="{}">\n'
         '        <td>{}{}{}</td><td>{}</td>\n'
         '        <td>{}{}</td>\n'
         '        <td><span class="status timer-state-{}">{}</span>{}</td>\n'
         '        <td>{}</td>\n'
         '      </tr>\n')
RECORDS = ' <span class="hint" data-records="{}">{}</span>'
HINT = ' <span class="hint">{}</span>'


@register.simple_tag
def order_timers(timers):
    """One row a deadline: its name (a progress deadline's stage and how many records it had), start, due time
    (estimated on a calendar not published yet), state (who was told when it breached) and when it was met."""
    estimated = format_html(HINT, _("（按估算日历）"))
    told = _("已通知")
    return rows_html(TIMER, (
        (timer.state, timer.kind, timer.label,
         f"（{timer.note}）" if timer.kind == "tracking" and timer.note else "",
         _records(timer), _minute(timer.started_at) if timer.started_at else "",
         _minute(timer.due_at) if timer.due_at else "",
         estimated if timer.estimated and not timer.met_at and not timer.stopped_at else "",
         timer.state, timer.get_state_display(),
         format_html(HINT, told + str(timer.escalate_to_label)) if timer.breached_at else "",
         _minute(timer.met_at) if timer.met_at else "—")
        for timer in timers))


def _records(timer):
    """共 n 次跟进，超时 m 次: a progress deadline that stands for more than one record (deadline_rows)."""
    records = getattr(timer, "records", 0)
    if records <= 1:
        return ""
    return format_html(RECORDS, records, _("共 %(n)s 次跟进，超时 %(m)s 次") % {"n": records, "m": timer.breaches})
