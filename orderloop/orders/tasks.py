"""Background work. Tasks load ids and call services; running one twice is harmless."""
from django.conf import settings
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from orderloop.orders.mail import mailbox_poll
from orderloop.orders.reading.paper import paper_read
from orderloop.orders.services import orders_archive_finished, orders_close_completed
from orderloop.orders.timers import logistics_notices_send, timers_flag_breaches
from orderloop.orders.today import calendar_alert_send, daily_digest_send, daily_rollup_send


@db_periodic_task(crontab(minute="*/5"))
def close_completed_orders():
    return orders_close_completed()


@db_periodic_task(crontab(hour="2", minute="30"))
def archive_finished_orders():
    """Nightly: finished orders older than ORDERLOOP_ARCHIVE_AFTER_DAYS become read-only archive."""
    return orders_archive_finished()


@db_periodic_task(crontab(minute="*"))
def check_deadlines():
    """Every minute: breached deadlines are escalated (once) and due logistics notices go out."""
    return {"breached": timers_flag_breaches(), "notices": logistics_notices_send()}


def _at(setting: str) -> crontab:
    hour, minute = setting.split(":")
    return crontab(hour=str(int(hour)), minute=str(int(minute)))


@db_periodic_task(_at(settings.ORDERLOOP_DIGEST_AT))
def morning_digest():
    return daily_digest_send()


@db_periodic_task(_at(settings.ORDERLOOP_ROLLUP_AT))
def evening_rollup():
    return daily_rollup_send()


@db_periodic_task(crontab(hour="9", minute="0"))
def calendar_coverage_check():
    """Tell the admins, daily from 1 December, while next year's holiday schedule is missing."""
    return calendar_alert_send()


@db_periodic_task(crontab(minute="*"))
def poll_order_mailbox():
    """Every minute: new mail in the order mailbox becomes orders (when ORDERLOOP_ORDER_MAILBOX is set)."""
    return mailbox_poll()


@db_task()
def read_paper_order(reading_id: int):
    """A scan or photo uploaded at 录入订单 read into the intake form, page by page (its progress saved)."""
    return paper_read(reading_id)
