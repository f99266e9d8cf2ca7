"""Every /api/ response is JSON, 404 and 405 included (SPEC section 9): an address no route matches, a method the
operation does not have and a server error answer in the API's one error format, ``{"detail", "errors",
"code"}``, with their status; every error carries its code."""
import json

import pytest
from django.conf import settings
from django.test import Client, RequestFactory
from ninja.errors import HttpError

from orderloop.config.api import http_error
from orderloop.core.schemas import ErrorOut
from tests.support.api_client import Api


def error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = json.loads(response.content)
    assert set(body) == {"detail", "errors", "code"} and body["code"] == code and body["errors"] == {}
    ErrorOut.model_validate(body)  # the schema the OpenAPI document declares for errors
    return body


@pytest.mark.parametrize("path", ["/api/nope", "/api/", "/api/orders/", "/api/orders/202401-001/nope", "/api/%00"])
def test_an_address_no_route_matches_is_a_json_404(db, path):
    for method in ("get", "post", "delete"):
        body = error(getattr(Client(), method)(path), 404, "not_found")
        assert body["detail"] == "未找到"


def test_a_method_the_operation_does_not_have_is_a_json_405_with_allow(users, orders):
    api = Api("sales_manager")
    order = orders.received()
    headers = {"HTTP_AUTHORIZATION": f"Bearer {api.token}"}
    collection = api.client.delete("/api/orders", **headers)  # a collection that cannot be deleted
    assert error(collection, 405, "method_not_allowed")["detail"] == "不支持该请求方法"
    assert set(collection["Allow"].split(", ")) == {"GET", "POST"}
    action = api.client.put(f"/api/orders/{order.ref}/actions/review", "{}", content_type="application/json", **headers)
    error(action, 405, "method_not_allowed")
    assert action["Allow"] == "POST"
    error(api.client.get(f"/api/orders/{order.ref}/actions/review", **headers), 405, "method_not_allowed")
    error(Client().patch("/api/auth/token"), 405, "method_not_allowed")  # before any token
    error(api.client.delete("/api/customers", **headers), 405, "method_not_allowed")


def test_errors_speak_the_chosen_language(db):
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert error(client.get("/api/nope"), 404, "not_found")["detail"] == "Not found"
    assert error(client.delete("/api/orders"), 405, "method_not_allowed")["detail"] == "Method not allowed"


def test_a_server_error_is_a_json_500(users, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    api = Api("sales_manager")
    monkeypatch.setattr("orderloop.orders.api.order_summaries", broken)
    client = Client(raise_request_exception=False)
    response = client.get("/api/orders", HTTP_AUTHORIZATION=f"Bearer {api.token}")
    assert error(response, 500, "server_error")["detail"] == "服务器内部错误"
    assert "a bug" not in response.content.decode()


@pytest.mark.parametrize("status, code", [(404, "not_found"), (405, "method_not_allowed"), (409, "conflict"),
                                          (413, "too_large"), (429, "too_many_requests"), (418, "error")])
def test_every_error_carries_a_code(db, status, code):
    response = http_error(RequestFactory().get("/api/orders"), HttpError(status, "说明"))
    body = error(response, status, code)
    assert body["detail"] == "说明"


def test_pages_outside_the_api_keep_their_html_errors(users):
    client = Client()
    client.force_login(users["sales_manager"])
    response = client.get("/nope/")
    assert response.status_code == 404 and response["Content-Type"].startswith("text/html")
    assert client.get("/api/docs").status_code == 200  # the API's documentation is a page
