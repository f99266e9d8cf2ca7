"""The worker's tasks (Huey): deliver the outbox when ``notify``'s transaction commits, and sweep it every minute."""
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from orderloop.notifications.delivery import outbox_deliver


@db_task()
def deliver_outbox():
    return outbox_deliver()


@db_periodic_task(crontab(minute="*"))
def sweep_outbox():
    """Every minute: whatever a crashed worker or a throttled robot left behind."""
    return outbox_deliver()
