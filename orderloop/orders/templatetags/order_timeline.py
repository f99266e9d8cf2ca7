"""``{% order_timeline steps %}``: the order page's 订单动态, folded by step (work.timeline_steps).

Each event is one format string filled with its escaped values (core.html.rows_html) rather than a loop of template
nodes: an order that has been through its whole process has a dozen events or more, and their nodes were a third
of its page's template time (bench/profile_pages.py). The moments are shown in local time, as the ``|date``
filter shows them."""
from django import template
from django.utils.html import format_html
from django.utils.timezone import localtime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_

from orderloop.core.html import rows_html

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
def order_timeline(steps):
    """The steps, each a <details> of its events (open as timeline_steps decided), the newest step last."""
    verdicts = {code: "：" + _(label) for code, label in VERDICTS.items()}
    system = _("系统")
    return rows_html(STEP, (
        (step["status"], " open" if step["open"] else "", step["label"], _minute(step["events"][0]["occurred_at"]),
         _("%(n)s 条记录") % {"n": len(step["events"])}, _events(step["events"], verdicts, system))
        for step in steps))


def _events(events, verdicts, system):
    return rows_html(EVENT, (
        (event["type"], moment.isoformat(), _minute(moment), event["label"],
         verdicts.get((event["payload"] or {}).get("verdict"), ""),
         _move(event), event["actor_name"] or system,
         format_html(DETAILS, rows_html(DETAIL, event["details"])) if event["details"] else "")
        for event in events for moment in [localtime(event["occurred_at"])]))


def _move(event):
    """from → to, where the event moved the order (from left out where it started the order)."""
    if event["from_status"] == event["to_status"]:
        return ""
    moved = format_html("{} → {}", event["from_label"], event["to_label"]) if event["from_label"] else event["to_label"]
    return format_html(MOVE, moved)


def _minute(moment) -> str:
    moment = localtime(moment)
    return f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d} {moment.hour:02d}:{moment.minute:02d}"
