from ninja import Router, Schema
from ninja.security import HttpBearer

from orderloop.accounts.services import api_token_issue, api_token_user
from orderloop.core.exceptions import DomainError

router = Router(tags=["auth"])


class BearerToken(HttpBearer):
    def authenticate(self, request, token):
        user = api_token_user(token)
        if user is not None:
            request.user = user
        return user


class Credentials(Schema):
    username: str
    password: str


class TokenOut(Schema):
    token: str


class Unauthorized(DomainError):
    code = "unauthorized"
    http_status = 401


@router.post("/token", auth=None, response=TokenOut, summary="Exchange username and password for a bearer token")
def token(request, credentials: Credentials):
    key = api_token_issue(username=credentials.username, password=credentials.password, request=request)
    if key is None:
        raise Unauthorized("用户名或密码错误")
    return {"token": key}
