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
