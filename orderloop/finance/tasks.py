"""Finance's background work (Huey). Tasks call services; running one twice is harmless."""
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from orderloop.finance.receivables import receivables_escalate


@db_periodic_task(crontab(minute="7"))
def escalate_overdue_receivables():
    """Hourly: open instalments overdue by 1, 5 and 30 working days (ORDERLOOP_OVERDUE_ESCALATION) tell the account
    manager, the sales manager and the director, each once; a day counts from the start of business hours."""
    return receivables_escalate()
