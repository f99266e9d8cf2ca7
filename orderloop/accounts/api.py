from django.utils.translation import gettext as _
from ninja import Router, Schema
from ninja.security import HttpBearer

from orderloop.accounts.services import api_token_issue, api_token_user
from orderloop.accounts.throttle import TooManyAttempts, client_ip, locked_until
from orderloop.core.exceptions import DomainError, NotAllowed
from orderloop.core.schemas import errors

router = Router(tags=["auth"])


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
