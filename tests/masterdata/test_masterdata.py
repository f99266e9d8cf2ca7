"""Customers and products: the unified social credit code check, and the customer API."""
import pytest

from orderloop.masterdata.uscc import uscc_check_char, uscc_problem
from tests.support.api_client import Api


@pytest.mark.parametrize("code", ["91310115MA1FL5C15C", "92440300L23456783T", "91110000600037341L"])
def test_valid_credit_codes_pass(code):
    assert uscc_problem(code) is None


def test_codes_that_begin_with_a_letter_are_checked_too():
    first17 = "N2320583MA1XY3P79"
    assert uscc_problem(first17 + uscc_check_char(first17)) is None


@pytest.mark.parametrize("code, problem", [
    ("91310115MA1FL5C15D", "统一社会信用代码校验位不正确"),
    ("91310115MA1FL5C15", "统一社会信用代码应为18位"),
    ("91310115MA1FL5C1IC", "统一社会信用代码含有无效字符：I"),
])
def test_invalid_credit_codes_say_why(code, problem):
    assert uscc_problem(code) == problem


def test_customer_api_validates_the_code_and_records_contacts(users):
    api = Api("sales_assistant")
    bad = api.post("/customers", {"name": "新客户", "uscc": "91310115MA1FL5C15D"})
    assert bad.status_code == 422 and bad.json()["errors"] == {"uscc": ["统一社会信用代码校验位不正确"]}
    made = api.post("/customers", {"name": "新客户", "uscc": "92440300L23456783T", "owner": "account_manager",
                                   "contacts": [{"name": "王*", "phone": "13900002222", "is_primary": True}]})
    assert made.status_code == 201, made.json()
    body = made.json()
    assert body["qualification"] == "pending" and body["contacts"][0]["name"] == "王*"
    refused = api.patch(f"/customers/{body['id']}", {"qualification": "qualified"})
    assert refused.status_code == 403 and "qualification" in refused.json()["errors"]  # financial authority
    assert Api("sales_manager").patch(f"/customers/{body['id']}", {"qualification": "qualified"}).json()["qualification"] == "qualified"


def test_products_are_kept_by_the_admin_and_cost_is_hidden(users, product):
    assert Api("sales_assistant").post("/products", {"name": "x", "model": "X-1", "list_price": "1.00"}).status_code == 403
    made = Api("admin").post("/products", {"name": "交换机", "model": "N-200", "list_price": "1500.00", "cost_price": "900.00"})
    assert made.status_code == 201 and made.json()["cost_price"] == "900.00"
    listed = {p["model"]: p for p in Api("sales_assistant").get("/products").json()}
    assert "cost_price" not in listed["N-200"] and listed["N-200"]["list_price"] == "1500.00"


@pytest.fixture(params=[True, False], ids=["prepared", "orm"])
def prepared_sql(request, settings):
    settings.ORDERLOOP_PREPARED_SQL = request.param
    return request.param


def test_the_customer_an_intake_reads_is_one_the_user_sees_by_one_statement(users, team, prepared_sql):
    """``customer_visible_to`` (the intake's read, compiled once per kind of user) finds a customer exactly when
    ``customers_visible_to`` lists it, for every role, a manager without a team and an account manager of another
    team; an id no row can have is no customer; who sees no customer at all (the warehouse) is asked nothing."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from orderloop.accounts.models import Team
    from orderloop.masterdata.services import NO_CUSTOMERS, customer_visible_to, customers_visible_to, visible_customers_q
    from tests.support.customers import make_customer
    from tests.support.users import make_user

    other_team = Team.objects.create(name="华南销售组")
    outsider = make_user("am_south", "account_manager", team=other_team)
    alone = make_user("sm_alone", "sales_manager")
    other_team.manager = make_user("sm_south", "sales_manager", team=other_team)
    other_team.save()
    customers = [make_customer("本组客户", owner=users["account_manager"]),
                 make_customer("外组客户", owner=outsider, uscc="91110000600037341L"),
                 make_customer("无人负责的客户", owner=None, uscc="92440300L23456783T")]
    people = [*users.values(), outsider, alone, other_team.manager]
    for person in people:
        seen = set(customers_visible_to(person).values_list("pk", flat=True))
        for customer in customers:
            with CaptureQueriesContext(connection) as ctx:
                found = customer_visible_to(person, customer.pk)
            assert (found is not None) == (customer.pk in seen), (person.username, customer.name)
            assert len(ctx) == (0 if visible_customers_q(person) == NO_CUSTOMERS else 1)  # who sees none: no statement
            if found is not None:
                assert (found.pk, found.owner_id) == (customer.pk, customer.owner_id) and found.name == customer.name
        assert customer_visible_to(person, "不是编号") is None and customer_visible_to(person, 10**30) is None
