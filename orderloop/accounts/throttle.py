"""Login throttling, as django-axes does it: failed logins are counted in the database (so every web process sees
them) per username from one client address, and per address. Reaching
``ORDERLOOP_LOGIN_FAILURES_PER_USERNAME_AND_ADDRESS`` (5) for a username from one address, or
``ORDERLOOP_LOGIN_FAILURES_PER_ADDRESS`` (20) for an address, within ``ORDERLOOP_LOGIN_WINDOW_MINUTES`` (15)
refuses further attempts for ``ORDERLOOP_LOGIN_LOCKOUT_MINUTES`` (15): that username from that address, or
every username from that address. Wrong passwords sent from elsewhere never lock a user out of their own
address (a username alone is no lock: anyone could lock the administrator out).

Every way in is covered: the login page and the admin's check the lock first to say how long to wait;
``POST /api/auth/token`` answers 429; and ``ThrottledModelBackend`` (``AUTHENTICATION_BACKENDS``) refuses
any other ``authenticate()`` call. Failures are recorded from Django's ``user_login_failed`` signal, for
usernames that exist and those that do not alike, so a lockout reveals nothing about the username. Refused
attempts are not counted (the lockout runs its 15 minutes from the failure that reached the limit); a
successful login clears its username's failures from its address; an administrator can lift a lockout early
(``lockout_lift``, audited). Times come from ``orderloop.core.clock``."""
import ipaddress
from contextvars import ContextVar
import logging
import math
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.dispatch import receiver
from django.utils.translation import gettext as _

from orderloop.accounts.models import LoginFailure
from orderloop.core import clock
from orderloop.core.audit import audit_record
from orderloop.core.exceptions import DomainError

logger = logging.getLogger("orderloop.security")
KEEP_FAILURES = timedelta(days=30)  # older failures are deleted


def normalized(username) -> str:
    return str(username or "").strip().casefold()[:150]


def client_ip(request) -> str | None:
    """The client's address: REMOTE_ADDR, or behind ``ORDERLOOP_PROXY_COUNT`` proxies the address the
    outermost one added to X-Forwarded-For (entries further left are the client's own claims)."""
    if request is None:
        return None
    address = request.META.get("REMOTE_ADDR", "")
    proxies = settings.ORDERLOOP_PROXY_COUNT
    if proxies > 0:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= proxies:
            address = forwarded[-proxies]
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None


def _lockout() -> timedelta:
    return timedelta(minutes=settings.ORDERLOOP_LOGIN_LOCKOUT_MINUTES)


def _at_address(name: str, ip: str | None) -> Q:
    """The failures of username ``name`` (normalized) from ``ip``; attempts without a known address share one count."""
    return Q(username=name, ip_address=ip) if ip else Q(username=name, ip_address__isnull=True)


def locked_until(username, ip: str | None) -> datetime | None:
    """When attempts for ``username`` from ``ip`` are allowed again, or None if they are now."""
    now = clock.now()
    locks = _at_address(normalized(username), ip) & Q(locks_username_at_address=True, cleared=False)
    if ip:
        locks |= Q(ip_address=ip, locks_address=True)
    latest = (LoginFailure.objects.filter(locks, unlocked=False, at__gt=now - _lockout(), at__lte=now)
              .order_by("-at").values_list("at", flat=True).first())
    return latest + _lockout() if latest else None


def locked_message(until: datetime) -> str:
    minutes = max(1, math.ceil((until - clock.now()).total_seconds() / 60))
    # gettext, not ngettext: tests/test_translations.py reads the catalog without plural forms
    return _("登录失败次数过多，请 %(minutes)s 分钟后再试") % {"minutes": minutes}


def retry_after_seconds(until: datetime) -> int:
    return max(1, math.ceil((until - clock.now()).total_seconds()))


def record_failure(username, ip: str | None) -> None:
    now = clock.now()
    name = normalized(username)
    failure = LoginFailure.objects.create(username=name, ip_address=ip, at=now)
    recent = LoginFailure.objects.filter(at__gt=now - timedelta(minutes=settings.ORDERLOOP_LOGIN_WINDOW_MINUTES),
                                         at__lte=now, unlocked=False)
    locks = {}
    if (recent.filter(_at_address(name, ip), cleared=False).count()
            >= settings.ORDERLOOP_LOGIN_FAILURES_PER_USERNAME_AND_ADDRESS):
        locks["locks_username_at_address"] = True
    if ip and recent.filter(ip_address=ip).count() >= settings.ORDERLOOP_LOGIN_FAILURES_PER_ADDRESS:
        locks["locks_address"] = True
    if locks:
        LoginFailure.objects.filter(pk=failure.pk).update(**locks)
        logger.warning("login locked for %s minutes: %s", settings.ORDERLOOP_LOGIN_LOCKOUT_MINUTES,
                       f"address {ip}" if "locks_address" in locks else f"username {name!r} from address {ip}")
    LoginFailure.objects.filter(at__lt=now - KEEP_FAILURES).delete()


def record_success(username, ip: str | None) -> None:
    """A successful login clears the failures of its username from its address (they still count for the address)."""
    LoginFailure.objects.filter(_at_address(normalized(username), ip), cleared=False).update(cleared=True)


@transaction.atomic
def lockout_lift(*, actor, failure: LoginFailure) -> int:
    """An administrator lifts the lockout ``failure`` belongs to: its username at its address, and its address when
    that is locked now. The failures lifted count for nothing any more; one audit entry. How many were lifted."""
    now = clock.now()
    lifted = _at_address(failure.username, failure.ip_address)
    address_locked = bool(failure.ip_address) and LoginFailure.objects.filter(
        ip_address=failure.ip_address, locks_address=True, unlocked=False, at__gt=now - _lockout(), at__lte=now).exists()
    if address_locked:
        lifted |= Q(ip_address=failure.ip_address)
    count = LoginFailure.objects.filter(lifted, unlocked=False).update(unlocked=True)
    audit_record(actor=actor, obj=failure, operation="unlocked",
                 changes={"username": failure.username, "ip_address": failure.ip_address or "",
                          "locks_address": address_locked, "failures": count})
    return count


@receiver(user_login_failed, dispatch_uid="orderloop_login_failed")
def _login_failed(sender, credentials, request=None, **kwargs):
    username = credentials.get(get_user_model().USERNAME_FIELD)
    if username is None:
        return
    ip = client_ip(request)
    if locked_until(username, ip) is None:  # attempts refused during a lockout do not prolong it
        record_failure(username, ip)


@receiver(user_logged_in, dispatch_uid="orderloop_logged_in")
def _logged_in(sender, request, user, **kwargs):
    record_success(user.get_username(), client_ip(request))


# The session store of the request whose user auth.get_user is looking for, while it looks (set by
# accounts.sessions.signed_in_user): the backend takes the user the session read with itself when it is the one asked.
SESSION_ASKING: ContextVar = ContextVar("the session store asking for its user", default=None)


class ThrottledModelBackend(ModelBackend):
    """Django's ModelBackend, refusing (``authenticate()`` returns None) while the username is locked at the client's
    address, or the address is."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        name = username if username is not None else kwargs.get(get_user_model().USERNAME_FIELD)
        if name is not None and locked_until(name, client_ip(request)):
            raise PermissionDenied
        return super().authenticate(request, username=username, password=password, **kwargs)

    def get_user(self, user_id):
        """The signed-in user of a request: the one read with the session (accounts.sessions), or read with their
        roles in a statement of its own (accounts.models.with_group_names)."""
        from orderloop.accounts.models import SIGNED_IN_USER

        store = SESSION_ASKING.get()
        user = getattr(store, "user_read", None)
        if user is None or user.pk != user_id:
            found = SIGNED_IN_USER.all(user_id)
            user = found[0] if found else None
        return user if user is not None and self.user_can_authenticate(user) else None


class TooManyAttempts(DomainError):
    code = "too_many_attempts"
    http_status = 429

    def __init__(self, until: datetime):
        super().__init__(locked_message(until))
        self.retry_after = retry_after_seconds(until)


class ThrottledLoginFormMixin:
    """For AuthenticationForm and its subclasses: a username locked at this address, or a locked address, is told how
    long to wait."""

    locked_until = None

    def clean(self):
        username = self.cleaned_data.get("username")
        if username is not None and self.cleaned_data.get("password"):
            self.locked_until = locked_until(username, client_ip(self.request))
            if self.locked_until:
                raise ValidationError(locked_message(self.locked_until), code="locked")
        return super().clean()

    @property
    def locked_message(self) -> str:
        return locked_message(self.locked_until) if self.locked_until else ""


class ThrottledAuthenticationForm(ThrottledLoginFormMixin, AuthenticationForm):
    pass
