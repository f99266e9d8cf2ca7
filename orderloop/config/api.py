"""The REST API: one NinjaAPI mounting each app's router, and one error format:
``{"detail": …, "errors": {field: [messages]}, "code": …}`` — on every error under /api/, the ones Django and
django-ninja answer themselves included (an unknown address 404, a method the operation does not have 405, a
server error 500: ``ApiErrorsMiddleware``)."""
import json
from datetime import date, datetime
from decimal import Decimal

from django.core.serializers.json import DjangoJSONEncoder
from django.db import DataError
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.parser import Parser
from ninja.renderers import JSONRenderer
from ninja.responses import NinjaJSONEncoder

from orderloop.accounts.api import BearerToken
from orderloop.accounts.api import router as auth_router
from orderloop.accounts.api import tokens as tokens_router
from orderloop.aftersales.api import router as tickets_router
from orderloop.finance.api import router as finance_router
from orderloop.core.exceptions import DomainError
from orderloop.core.validation import MESSAGES, field_path
from orderloop.masterdata.api import customers, products
from orderloop.orders.api import registers as registers_router
from orderloop.orders.api import router as orders_router
from orderloop.reviews.api import router as reports_router


def _nul_errors(value, loc: tuple) -> list[dict]:
    """Where a parsed request holds the NUL character, which no text field can store (PostgreSQL refuses it)."""
    if isinstance(value, str):
        return [{"type": "string_contains_nul", "loc": loc, "msg": "NUL character"}] if "\x00" in value else []
    if isinstance(value, dict):
        return [error for key, item in value.items()
                for error in _nul_errors(key, loc + (key,)) + _nul_errors(item, loc + (key,))]
    if isinstance(value, list):
        return [error for index, item in enumerate(value) for error in _nul_errors(item, loc + (index,))]
    return []


class TextParser(Parser):
    """JSON bodies, query strings and form fields, refused with 422 at the field when a text holds NUL."""

    def parse_body(self, request):
        data = json.loads(request.body)
        if errors := _nul_errors(data, ("body", "data")):
            raise ValidationError(errors)  # ninja turns it into an HttpError(400) caused by it: see http_error
        return data

    def parse_querydict(self, data, list_fields, request):
        result = super().parse_querydict(data, list_fields, request)
        if errors := _nul_errors(result, ("query",)):  # uploaded files are no text: left alone
            raise ValidationError(errors)
        return result


class ApiJSONEncoder(NinjaJSONEncoder):
    """django-ninja's JSON, written the same, its commonest values first: a date, a datetime, an amount (a list of
    50 orders holds 200 of them) go straight to what Django's encoder makes of them, not through ninja's tests for
    models, URLs, addresses and enums first."""

    def default(self, o):
        kind = type(o)
        if kind is date or kind is Decimal:
            return o.isoformat() if kind is date else str(o)
        if kind is datetime:
            return DjangoJSONEncoder.default(self, o)
        return super().default(o)


class ApiRenderer(JSONRenderer):
    encoder_class = ApiJSONEncoder


api = NinjaAPI(
    title="orderloop API",
    version="1",
    description="Closed-loop sales order management. Authenticate with `POST /api/auth/token`, "
    "then send `Authorization: Bearer <token>`.",
    auth=BearerToken(),
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
    parser=TextParser(),
    renderer=ApiRenderer(),
)
api.add_router("/auth", auth_router)
api.add_router("/tokens", tokens_router)
api.add_router("/customers", customers)
api.add_router("/finance", finance_router)
api.add_router("/products", products)
api.add_router("/orders", orders_router)
api.add_router("/tickets", tickets_router)
api.add_router("/registers", registers_router)
api.add_router("/reports", reports_router)


# The code of an error by its status, where nothing more particular is known (a DomainError carries its own).
CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
         409: "conflict", 413: "too_large", 415: "unsupported_media_type", 422: "invalid", 429: "too_many_requests",
         500: "server_error"}
DETAILS = {404: N_("未找到"), 405: N_("不支持该请求方法"), 500: N_("服务器内部错误")}  # what Django and ninja answer


def error_code(status: int) -> str:
    return CODES.get(status, "server_error" if status >= 500 else "error")


def error_response(request, status: int, detail: str, errors: dict | None = None, code: str = ""):
    """The one error body: ``detail``, ``errors`` per field (empty when none), and always a ``code``."""
    body = {"detail": detail, "errors": errors or {}, "code": code or error_code(status)}
    return api.create_response(request, body, status=status)


@api.exception_handler(DomainError)
def domain_error(request, exc: DomainError):
    response = error_response(request, exc.http_status, exc.message, exc.errors, exc.code)
    if getattr(exc, "retry_after", None):  # 429 for too many failed logins: when to try again
        response["Retry-After"] = str(exc.retry_after)
    return response


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


@api.exception_handler(OverflowError)
@api.exception_handler(DataError)
def out_of_range(request, exc):
    """A number or text the database cannot hold (an id beyond 64 bits): bad input, not a server fault."""
    return error_response(request, 422, _("提交的数值超出范围"), code="invalid")


@api.exception_handler(AuthenticationError)
def unauthenticated(request, exc):
    return error_response(request, 401, _("未登录或令牌无效"), code="unauthorized")


@api.exception_handler(HttpError)
def http_error(request, exc: HttpError):
    if isinstance(exc.__cause__, ValidationError):  # a JSON body that parsed, with a text that cannot be stored
        return validation_error(request, exc.__cause__)
    if exc.status_code == 400:
        return error_response(request, 400, _("请求内容不是有效的 JSON"), code="bad_request")
    return error_response(request, exc.status_code, str(exc), code=error_code(exc.status_code))


@api.exception_handler(Http404)
def not_found(request, exc):
    return error_response(request, 404, _("未找到"), code="not_found")


API_PREFIX = "/api/"


class ApiErrorsMiddleware:
    """Every error under /api/ in the API's error format. Django answers an address no route matches (404) and a
    server error (500) with its HTML pages, django-ninja a method the operation does not have with a plain-text
    405 (``PathView._not_allowed``): each becomes ``error_response`` with its status, keeping the Allow header.
    Errors the API raised itself are JSON already and pass as they are."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (response.status_code >= 400 and request.path.startswith(API_PREFIX)
                and not response.get("Content-Type", "").startswith("application/json")):
            status = response.status_code
            detail = DETAILS.get(status) or (DETAILS[500] if status >= 500 else N_("请求无效"))
            replaced = error_response(request, status, _(detail))
            for header in ("Allow", "Retry-After"):
                if header in response:
                    replaced[header] = response[header]
            return replaced
        return response

