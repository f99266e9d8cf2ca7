from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Router, Schema
from ninja.security import HttpBearer
from pydantic import Field

from orderloop.accounts.services import (
    api_token_issue, api_token_revoke, api_token_state, api_token_user, api_tokens_visible_to,
)
from orderloop.accounts.throttle import TooManyAttempts, client_ip, locked_until
from orderloop.core import clock
from orderloop.core.exceptions import DomainError, NotAllowed
from orderloop.core.schemas import errors

router = Router(tags=["auth"])
tokens = Router(tags=["auth"])  # /api/tokens: list and revoke


class BearerToken(HttpBearer):
    def authenticate(self, request, token):
        user = api_token_user(token)
        if user is not None:
            request.user = user
        return user


class BearerWithRole(BearerToken):
    """A token whose user plays one of ``roles``; any other is refused with 403 before the body is read, so
    a role that may not take the operation learns nothing about what it would have accepted."""

    def __init__(self, roles):
        super().__init__()
        self.roles = frozenset(roles)

    def authenticate(self, request, token):
        user = super().authenticate(request, token)
        if user is not None and not user.has_role(*self.roles):
            raise NotAllowed(_("您的角色不能执行此操作"))
        return user


def roles(*codes) -> BearerWithRole:
    """``auth=roles(*ORDER_ENTRY)``: the operation is for these roles only."""
    return BearerWithRole(codes)


class Credentials(Schema):
    username: str
    password: str


class TokenOut(Schema):
    token: str


class Unauthorized(DomainError):
    code = "unauthorized"
    http_status = 401


@router.post("/token", auth=None, response={200: TokenOut, **errors(400, 401, 422, 429)},
             summary="Exchange username and password for a bearer token")
def token(request, credentials: Credentials):
    until = locked_until(credentials.username, client_ip(request))
    if until:  # too many failed logins for this username or from this address: 429, saying how long to wait
        raise TooManyAttempts(until)
    key = api_token_issue(username=credentials.username, password=credentials.password, request=request)
    if key is None:
        raise Unauthorized("用户名或密码错误")
    return {"token": key}


class ApiTokenOut(Schema):
    id: int
    user: str = Field(description="The username the token stands for.")
    key_prefix: str = Field(description="The token's first characters, to tell it apart (the rest is never stored).")
    created_at: datetime
    expires_at: datetime
    last_used_at: datetime | None = Field(description="Written at most once a minute.")
    revoked_at: datetime | None = Field(description="When it was revoked or ended by a new password or deactivation.")
    state: str = Field(description="`active`, `expired`, `revoked`, `password_changed` or `deactivated`.")


def _local(value: datetime | None) -> datetime | None:
    return timezone.localtime(value) if value else None


def token_data(token, now) -> dict:
    return {"id": token.pk, "user": token.user.get_username(), "key_prefix": token.key_prefix,
            "created_at": _local(token.created_at), "expires_at": _local(token.expires_at),
            "last_used_at": _local(token.last_used_at), "revoked_at": _local(token.revoked_at),
            "state": api_token_state(token, now)}


@tokens.get("", response={200: list[ApiTokenOut], **errors(401, 422)},
            summary="List API tokens: your own; an administrator's, anyone's")
def token_list(request, include_ended: bool = False, user: str | None = None):
    now = clock.now()
    return [token_data(t, now)
            for t in api_tokens_visible_to(request.auth, include_ended=include_ended, username=user)[:500]]


@tokens.post("/{token_id}/revoke", response={200: ApiTokenOut, **errors(401, 404, 422)},
             summary="Revoke an API token: your own; an administrator, anyone's (at once, audited)")
def token_revoke(request, token_id: int):
    return token_data(api_token_revoke(actor=request.auth, token_id=token_id), clock.now())
