"""Sign-ins' background work (Huey). Running it twice is harmless."""
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from orderloop.accounts.sessions import SessionStore


@db_periodic_task(crontab(hour="3", minute="40"))
def clear_expired_sessions():
    """Nightly: the sessions past their expiry are deleted (Django's ``clearsessions``, which nothing ran: every
    sign-in left a row behind for good). An expired session signs in no one already; this only keeps the table to
    the sessions that still could."""
    return SessionStore.clear_expired()
