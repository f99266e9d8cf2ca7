"""The REST API: one NinjaAPI mounting each app's router, and one error format:
``{"detail": …, "errors": {field: [messages]}}``."""
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from orderloop.accounts.api import BearerToken
from orderloop.accounts.api import router as auth_router
from orderloop.aftersales.api import router as tickets_router
from orderloop.core.exceptions import DomainError
from orderloop.core.validation import MESSAGES, field_path
from orderloop.masterdata.api import customers, products
from orderloop.orders.api import router as orders_router

api = NinjaAPI(
    title="orderloop API",
    version="1",
    description="Closed-loop sales order management. Authenticate with `POST /api/auth/token`, "
    "then send `Authorization: Bearer <token>`.",
    auth=BearerToken(),
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
)
api.add_router("/auth", auth_router)
api.add_router("/customers", customers)
api.add_router("/products", products)
api.add_router("/orders", orders_router)
api.add_router("/tickets", tickets_router)


def error_response(request, status: int, detail: str, errors: dict | None = None, code: str = ""):
    body = {"detail": detail, "errors": errors or {}}
    if code:
        body["code"] = code
    return api.create_response(request, body, status=status)


@api.exception_handler(DomainError)
def domain_error(request, exc: DomainError):
    return error_response(request, exc.http_status, exc.message, exc.errors, exc.code)


@api.exception_handler(ValidationError)
def validation_error(request, exc: ValidationError):
    errors: dict[str, list[str]] = {}
    for error in exc.errors:
        loc = list(error.get("loc", ()))
        # ninja prefixes the location with where the value came from and the parameter name
        if loc and loc[0] in {"body", "query", "path", "header"}:
            loc = loc[2:] if loc[0] == "body" and len(loc) > 1 and loc[1] in {"data", "payload"} else loc[1:]
        make = MESSAGES.get(error.get("type", ""))
        errors.setdefault(field_path(loc), []).append(make(error.get("ctx") or {}) if make else _("无效的值"))
    return error_response(request, 422, _("提交的内容有误"), errors, "invalid")


@api.exception_handler(AuthenticationError)
def unauthenticated(request, exc):
    return error_response(request, 401, _("未登录或令牌无效"), code="unauthorized")


@api.exception_handler(HttpError)
def http_error(request, exc: HttpError):
    if exc.status_code == 400:
        return error_response(request, 400, _("请求内容不是有效的 JSON"), code="bad_request")
    return error_response(request, exc.status_code, str(exc))


@api.exception_handler(Http404)
def not_found(request, exc):
    return error_response(request, 404, _("未找到"), code="not_found")
