"""Django's database sessions (``settings.SESSION_ENGINE``), the session of each request read by a statement
compiled once: Django's store builds the same query with the ORM on every request of a signed-in user. Writing,
expiry and clearing are Django's own; the table is Django's ``django_session``."""
from django.contrib.sessions.backends import db
from django.contrib.sessions.models import Session
from django.utils import timezone

from orderloop.core.prepared import PreparedQuery

_BY_KEY = PreparedQuery(Session, lambda key: Session.objects.filter(session_key=key), plan_once=True)


class SessionStore(db.SessionStore):
    def _get_session_from_db(self):
        """The session by its key if it has not expired (as Django's: an expired one is as good as none, and
        ``clearsessions`` removes it); otherwise the key is forgotten and a new session will start."""
        found = _BY_KEY.all(self.session_key) if self.session_key else []
        if found and found[0].expire_date > timezone.now():
            return found[0]
        self._session_key = None
        return None
