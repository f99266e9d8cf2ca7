import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import authenticate
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from orderloop.accounts.models import TOKEN_AND_USER, ApiToken, User, password_fingerprint
from orderloop.accounts.permissions import ANY_USERS_TOKENS
from orderloop.accounts.throttle import client_ip, record_success
from orderloop.core import clock
from orderloop.core.audit import audit_record
from orderloop.core.exceptions import NotFound

# last_used_at is written at most once per token in this time: one UPDATE a minute, none on the other requests
LAST_USED_STEP = timedelta(minutes=1)


def first_admin_needed() -> bool:
    """No account yet: a new installation, whose first visitor creates the system administrator (setup's guide)."""
    return not User.objects.exists()


def active_user(username: str) -> User:
    """The active user of that username (the ``orderloop`` commands act as one): NotFound, saying so, otherwise."""
    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        raise NotFound(_("用户不存在或已停用：%(name)s") % {"name": username})
    return user


def token_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def api_token_issue(*, username: str, password: str, request=None) -> str | None:
    """A new token for valid credentials, or None. The plain key is shown once."""
    user = authenticate(request, username=username, password=password)
    if user is None or not user.is_active:
        return None
    record_success(user.get_username(), client_ip(request))  # clears the username's failed logins from this address
    key = secrets.token_urlsafe(32)
    now = clock.now()
    ApiToken.objects.create(user=user, key_hash=token_hash(key), key_prefix=key[:6], created_at=now,
                            password_fingerprint=password_fingerprint(user.password),
                            expires_at=now + timedelta(days=settings.ORDERLOOP_API_TOKEN_DAYS))
    return key


def api_token_user(key: str) -> User | None:
    """The user a bearer token stands for: not expired, not ended, its user active and with the password the token
    was issued under. Notes when it was used, at most once a minute (an UPDATE only when a minute has passed, and
    its WHERE lets only one of several processes write)."""
    now = clock.now()
    found = TOKEN_AND_USER.all(token_hash(key))
    token = found[0] if found and found[0].revoked_at is None and found[0].expires_at > now else None
    if token is None or not token.user.is_active or token.password_fingerprint != password_fingerprint(token.user.password):
        return None
    token.user.group_names = token.group_names  # the user's roles, read in the same statement
    if token.last_used_at is None or token.last_used_at <= now - LAST_USED_STEP:
        (ApiToken.objects.filter(pk=token.pk)
         .filter(Q(last_used_at__isnull=True) | Q(last_used_at__lte=now - LAST_USED_STEP))
         .update(last_used_at=now))
    return token.user


# A token's state, as the token page and GET /api/tokens show it.
ACTIVE, EXPIRED = "active", "expired"
STATE_LABELS = {ACTIVE: gettext_lazy("有效"), EXPIRED: gettext_lazy("已过期"), **dict(ApiToken.End.choices)}


def api_token_state(token: ApiToken, now=None) -> str:
    """``active``, ``expired``, or why it ended (``ApiToken.End``: revoked, password_changed, deactivated)."""
    now = now or clock.now()
    if token.end_reason:
        return token.end_reason
    if token.revoked_at is not None:
        return ApiToken.End.REVOKED
    if not token.user.is_active:
        return ApiToken.End.DEACTIVATED
    if token.password_fingerprint != password_fingerprint(token.user.password):
        return ApiToken.End.PASSWORD_CHANGED
    if token.expires_at <= now:
        return EXPIRED
    return ACTIVE


def api_tokens_visible_to(user: User, *, include_ended: bool = False, username: str | None = None) -> QuerySet:
    """The tokens ``user`` may see and revoke: their own; an administrator's, anyone's. Newest first; without
    ``include_ended`` only those that still answer (a token whose password changed by an UPDATE that bypassed
    ``User.save`` is listed until the state says otherwise)."""
    tokens = ApiToken.objects.select_related("user", "revoked_by").order_by("-created_at", "-id")
    if not user.has_role(*ANY_USERS_TOKENS):
        tokens = tokens.filter(user=user)
    if username:
        tokens = tokens.filter(user__username=username)
    if not include_ended:
        tokens = tokens.filter(revoked_at__isnull=True, expires_at__gt=clock.now(), user__is_active=True)
    return tokens


@transaction.atomic
def api_token_revoke(*, actor: User, token_id: int) -> ApiToken:
    """Revoke a token: one's own, or as an administrator anyone's (another's answers 404: it is out of reach).
    Audited. A token that has already ended is left as it is."""
    token = (api_tokens_visible_to(actor, include_ended=True).select_for_update(of=("self",))
             .filter(pk=token_id).first())
    if token is None:
        raise NotFound(_("未找到该接口令牌"))
    if token.revoked_at is not None:
        return token
    now = clock.now()
    token.revoked_at, token.revoked_by, token.end_reason = now, actor, ApiToken.End.REVOKED
    token.save(update_fields=["revoked_at", "revoked_by", "end_reason"])
    audit_record(actor=actor, obj=token, operation="revoked",
                 changes={"user": token.user.get_username(), "key_prefix": token.key_prefix,
                          "revoked_at": [None, now.isoformat()]})
    return token
