"""Schemathesis over /api/openapi.json: requests generated for every operation, sent as users of several roles
over the demo data, get no server error and no response outside the schema (status code, content type, body,
headers). Seeded, so a run is repeatable; a failure prints the request to reproduce it."""
import zlib
from collections import Counter

import pytest
import schemathesis
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi import checks as openapi_checks
from werkzeug.test import Client

from orderloop.aftersales.models import Ticket
from orderloop.config.wsgi import application
from orderloop.masterdata.models import Customer, Product
from orderloop.orders.models import Attachment, OrderLine, Risk, SalesOrder, Shipment

# An approver who sees cost and the team's orders, the assistant who takes orders in, a role that sees only
# orders from stock confirmation on, and after-sales (tickets).
ROLES = ["sales_manager", "sales_assistant", "warehouse", "after_sales"]
POSITIVE_EXAMPLES = 12  # per operation and role: valid requests, half of them aimed at existing records
NEGATIVE_EXAMPLES = 4  # invalid ones: wrong types, missing fields, no token
MINIMUM_CASES = 1000

CHECKS = [
    schemathesis.checks.not_a_server_error,
    openapi_checks.status_code_conformance,
    openapi_checks.content_type_conformance,
    openapi_checks.response_schema_conformance,
    openapi_checks.response_headers_conformance,
]


def _known_values() -> dict[str, list]:
    """Values of the demo data, by the name of the path parameter or body field that refers to them."""
    def ids(model):
        return list(model.objects.order_by("pk").values_list("pk", flat=True))

    attachments = ids(Attachment)
    return {
        "ref": sorted(o.ref for o in SalesOrder.objects.all()),
        "order_ref": sorted(o.ref for o in SalesOrder.objects.all()),
        "customer_id": ids(Customer),
        "product_id": ids(Product),
        "ticket_id": ids(Ticket),
        "line_id": ids(OrderLine),
        "risk_id": ids(Risk),
        "shipment_id": ids(Shipment),
        "receipt_attachment_id": attachments,
        "photo_attachment_id": attachments,
        "qc_report_attachment_id": attachments,
        "owner": sorted(get_user_model().objects.values_list("username", flat=True)),
        "version": list(range(1, 8)),
    }


def _aim(value, known: dict[str, list], draw):
    """Replace, here and there, a reference in a generated body by one to an existing record."""
    if isinstance(value, list):
        return [_aim(item, known, draw) for item in value]
    if isinstance(value, dict):
        return {key: draw(st.sampled_from(known[key])) if known.get(key) and draw(st.booleans()) else _aim(item, known, draw)
                for key, item in value.items()}
    return value


def _strategy(operation, mode: GenerationMode, known: dict[str, list]):
    generated = operation.as_strategy(generation_mode=mode)
    if mode is GenerationMode.NEGATIVE:
        return generated
    names = [parameter.name for parameter in operation.path_parameters]

    @st.composite
    def aimed(draw):
        values = {name: draw(st.sampled_from(known[name])) for name in names if known.get(name)}
        case = draw(operation.as_strategy(generation_mode=mode, path_parameters=values))
        if isinstance(case.body, (dict, list)):
            case.body = _aim(case.body, known, draw)
        return case

    return st.one_of(generated, aimed())


def _token(app, username: str) -> str:
    response = Client(app).post("/api/auth/token", json={"username": username, "password": "orderloop"})
    assert response.status_code == 200, response.text
    return response.json["token"]


@pytest.fixture
def wsgi_app():
    """Schemathesis calls the WSGI application itself; like Django's test client, keep the start and end of
    each request from closing the connection that holds the test's transaction. (Django's test client
    connects the handler again after each request: use this one alone inside the test.)"""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield application
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@pytest.mark.slow
def test_the_api_holds_to_its_schema_under_generated_requests(db, wsgi_app):
    call_command("demo", force=True)
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", wsgi_app)
    operations = [result.ok() for result in schema.get_all_operations()]
    known = _known_values()
    tokens = {role: _token(wsgi_app, role) for role in ROLES}
    statuses: Counter = Counter()
    failures: list[str] = []
    for role, token in tokens.items():
        headers = {"Authorization": f"Bearer {token}"}
        for operation in operations:
            for mode, examples in ((GenerationMode.POSITIVE, POSITIVE_EXAMPLES), (GenerationMode.NEGATIVE, NEGATIVE_EXAMPLES)):

                @given(case=_strategy(operation, mode, known))
                @seed(zlib.crc32(f"{role} {operation.label} {mode.value}".encode()))  # repeatable, and varied by role
                @settings(max_examples=examples, database=None, deadline=None,
                          phases=[Phase.explicit, Phase.generate, Phase.shrink], suppress_health_check=list(HealthCheck))
                def run(case):  # called right away, in this iteration: the loop variables are the current ones
                    savepoint = transaction.savepoint()  # a server error's broken transaction is not the next case's
                    response = case.call(headers=headers)  # noqa: B023
                    if response.status_code >= 500:
                        transaction.savepoint_rollback(savepoint)
                    else:
                        transaction.savepoint_commit(savepoint)
                    case.validate_response(response, checks=CHECKS, headers=headers)  # noqa: B023
                    statuses[operation.label, response.status_code] += 1  # noqa: B023

                try:
                    run()
                except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001  (collect every operation's, report them all)
                    failures.append(f"{operation.label} as {role} ({mode.value}):\n{exc}")
    assert not failures, "\n\n".join(failures)
    total = sum(statuses.values())
    assert {label for label, _ in statuses} == {operation.label for operation in operations}
    assert total >= MINIMUM_CASES, f"only {total} generated cases"
    succeeded = sum(count for (_, status), count in statuses.items() if status < 300)
    print(f"\n{total} generated cases over {len(operations)} operations as {', '.join(ROLES)}; {succeeded} succeeded")


def test_text_holding_nul_is_refused_at_its_field(users, customer):
    """PostgreSQL cannot store NUL: a body, query, form field or path holding one is a 422, never a 500."""
    from tests.support.api_client import Api

    assistant = Api("sales_assistant")
    response = assistant.post("/tickets", {"order_ref": "SO\x00", "ticket_type": "quality", "description": "外观破损"})
    assert response.status_code == 422
    assert response.json() == {"detail": "提交的内容有误", "errors": {"order_ref": ["无效的值"]}, "code": "invalid"}
    response = assistant.patch(f"/customers/{customer.pk}", {"contacts": [{"name": "李\x00"}]})
    assert response.status_code == 422 and response.json()["errors"] == {"contacts.0.name": ["无效的值"]}
    response = assistant.get("/products", q="服务器\x00")
    assert response.status_code == 422 and response.json()["errors"] == {"q": ["无效的值"]}
    response = assistant.get("/orders/SO\x00/events")
    assert response.status_code == 422 and response.json()["errors"] == {"ref": ["无效的值"]}
    assert assistant.post("/orders", raw="{not json").json()["code"] == "bad_request"  # still a 400


def test_an_idempotency_key_longer_than_kept_is_refused(users, customer, product):
    from tests.support.api_client import Api
    from tests.support.orders import order_data

    response = Api("sales_assistant").post("/orders", order_data(customer, product), headers={"HTTP_IDEMPOTENCY_KEY": "k" * 201})
    assert response.status_code == 422 and list(response.json()["errors"]) == ["Idempotency-Key"]
    assert not SalesOrder.objects.exists()


def test_a_page_beyond_any_offset_is_refused(users):
    from tests.support.api_client import Api

    response = Api("sales_assistant").get("/orders", page=10**20)
    assert response.status_code == 422 and list(response.json()["errors"]) == ["page"]


def test_an_id_beyond_64_bits_is_bad_input(db, users):
    from tests.support.api_client import Api

    response = Api("sales_manager").get("/orders", customer_id="152080350944861061120")
    assert response.status_code == 422 and list(response.json()["errors"]) == ["customer_id"]
