import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import authenticate

from orderloop.accounts.models import ApiToken, User
from orderloop.accounts.throttle import record_success
from orderloop.core import clock


def first_admin_needed() -> bool:
    """No account yet: a new installation, whose first visitor creates the system administrator (setup's guide)."""
    return not User.objects.exists()


def token_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def api_token_issue(*, username: str, password: str, request=None) -> str | None:
    """A new token for valid credentials, or None. The plain key is shown once."""
    user = authenticate(request, username=username, password=password)
    if user is None or not user.is_active:
        return None
    record_success(user.get_username())  # a successful login clears the username's failed logins
    key = secrets.token_urlsafe(32)
    now = clock.now()
    ApiToken.objects.create(user=user, key_hash=token_hash(key), created_at=now,
                            expires_at=now + timedelta(days=settings.ORDERLOOP_API_TOKEN_DAYS))
    return key


def api_token_user(key: str) -> User | None:
    now = clock.now()
    token = (ApiToken.objects.select_related("user")
             .filter(key_hash=token_hash(key), revoked_at__isnull=True, expires_at__gt=now).first())
    if token is None or not token.user.is_active:
        return None
    return token.user
