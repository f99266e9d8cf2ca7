"""Sign-ins: Django's database sessions (``settings.SESSION_ENGINE``) in ``accounts.Session``, which keeps the
signed-in user as a column, and Django's authentication middleware taking the user from the session's statement.

Every signed-in page asked the database three things before its own: the session by its key, its user with their
roles, and the menu's unread count. One statement compiled once (core.prepared) reads them together: the session,
its user (their roles as ``with_group_names`` reads them), their unread in-app notices and the master data's stamp
(core.models.MasterDataStamp: what the order filters' pickers are kept under). Django still decides
who is signed in (``auth.get_user``: the session's user id and backend, the password hash check); the backend
(``ThrottledModelBackend.get_user``, through ``throttle.SESSION_ASKING``) takes the user read with the session when
it is the one asked for, and reads them itself otherwise. Writing, expiry and ``clearsessions`` are Django's."""
from django.contrib import auth
from django.contrib.auth import SESSION_KEY
from django.contrib.auth import middleware as auth_middleware
from django.contrib.sessions.backends import db
from django.core.exceptions import ValidationError
from django.db.models import BigIntegerField, Count, OuterRef, Subquery
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.functional import SimpleLazyObject

from orderloop.accounts.models import Session, with_group_names
from orderloop.accounts.throttle import SESSION_ASKING
from orderloop.core.prepared import PreparedQuery


def _session_with_user(key):
    from orderloop.notifications.services import unread_of

    unread = unread_of(OuterRef("user_id")).order_by().values("recipient_id").annotate(n=Count("id")).values("n")
    return with_group_names(Session.objects.select_related("user").filter(session_key=key)).annotate(
        unread=Subquery(unread),
        master_data_stamp=RawSQL("SELECT stamp FROM core_masterdatastamp WHERE id = 1", (), BigIntegerField()))


_BY_KEY = PreparedQuery(Session, _session_with_user, plan_once=True)

class SessionStore(db.SessionStore):
    user_read = None  # the user read with the session, with their roles and unread count; None before or without

    @classmethod
    def get_model_class(cls):
        return Session

    def create_model_instance(self, data):
        """The session's row, with the user it signed in (none before a sign-in, or for an id that is none)."""
        session = super().create_model_instance(data)
        session.user_id = _signed_in_id(data)
        return session

    async def acreate_model_instance(self, data):
        """As create_model_instance, for Django's async saves (``asave``, ``alogin``, ``acycle_key``)."""
        session = await super().acreate_model_instance(data)
        session.user_id = _signed_in_id(data)
        return session

    def _get_session_from_db(self):
        """The session by its key if it has not expired (as Django's: an expired one is as good as none, and
        ``clearsessions`` removes it), with its user; otherwise the key is forgotten and a new session will start."""
        found = _BY_KEY.all(self.session_key) if self.session_key else []
        if found and found[0].expire_date > timezone.now():
            session = found[0]
            if session.user is not None:
                session.user.group_names = session.group_names  # User.roles reads them from there
                session.user.unread_with_session = session.unread or 0
                session.user.master_data_stamp = session.master_data_stamp
            self.user_read = session.user
            return session
        self._session_key = None
        return None


def _signed_in_id(data: dict):
    try:
        return auth.get_user_model()._meta.pk.to_python(data.get(SESSION_KEY))
    except ValidationError:
        return None


def signed_in_user(request):
    """auth.get_user(request), once a request, its backend able to take the user read with the session."""
    if not hasattr(request, "_cached_user"):
        asking = SESSION_ASKING.set(request.session)
        try:
            request._cached_user = auth.get_user(request)
        finally:
            SESSION_ASKING.reset(asking)
    return request._cached_user


class AuthenticationMiddleware(auth_middleware.AuthenticationMiddleware):
    """Django's (``request.user``, ``request.auser``), the user found by signed_in_user."""

    def process_request(self, request):
        super().process_request(request)
        request.user = SimpleLazyObject(lambda: signed_in_user(request))
