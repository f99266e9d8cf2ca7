"""Structured payment terms (SPEC section 9, Money): the presets the migration creates, the reading of a free-text
付款方式, the check of the instalments, and the customer's structured term on its form and in the API."""
import pytest

from orderloop.masterdata.models import PaymentTerm
from orderloop.masterdata.payment_terms import PRESETS, instalment_problems, preset_name_for_text, term_for_text


@pytest.mark.django_db
def test_the_migration_creates_the_presets():
    stored = {t.name: t.instalments for t in PaymentTerm.objects.all()}
    assert set(PRESETS) <= set(stored)
    assert stored["30%预付,余款到付"] == [
        {"percent": "30", "trigger": "on_confirmation", "days": 0, "working_days": False},
        {"percent": "70", "trigger": "on_delivery", "days": 0, "working_days": False}]
    assert stored["质保金5%一年"][1]["trigger"] == "days_after_delivery" and stored["质保金5%一年"][1]["days"] == 365
    assert all(instalment_problems(instalments) == [] for instalments in stored.values())


@pytest.mark.parametrize("text, preset", [
    ("30%预付,余款到付", "30%预付,余款到付"),
    ("30%预付，余款到付", "30%预付,余款到付"),
    (" 30％预付， 余款到付 ", "30%预付,余款到付"),
    ("款到发货", "款到发货"),
    ("货到付款", "货到付款"),
    ("月结30天", "月结30天"),
    ("验收后60天", "验收后60天"),
    ("质保金5%一年", "质保金5%一年"),
    ("50%预付,余款到付", None),
    ("看情况再说", None),
    ("", None),
])
def test_free_text_is_read_as_a_preset_or_none(text, preset):
    assert preset_name_for_text(text) == preset


@pytest.mark.django_db
def test_the_text_gives_the_stored_term():
    assert term_for_text("30%预付，余款到付").name == "30%预付,余款到付"
    assert term_for_text("先付一半") is None


@pytest.mark.parametrize("instalments, problem", [
    ([], "付款条件至少要有一期"),
    ([{"percent": "60", "trigger": "on_delivery"}], "各期比例合计须为100%"),
    ([{"percent": "60", "trigger": "on_delivery"}, {"percent": "50", "trigger": "on_delivery"}], "各期比例合计超过100%"),
    ([{"percent": "100", "trigger": "someday"}], "第1期：付款条件未知"),
    ([{"percent": "100", "trigger": "days_after_invoice"}], "第1期：请填写天数（大于0的整数）"),
    ([{"percent": "100", "trigger": "fixed_date", "date": "明年"}], "第1期：请填写日期，如 2026-12-31"),
    ([{"percent": "50", "amount": "10", "trigger": "on_delivery"}], "第1期：比例和固定金额须填且只填一个"),
])
def test_wrong_instalments_are_named(instalments, problem):
    assert problem in instalment_problems(instalments)


def test_a_fixed_amount_with_a_percentage_rest_is_right():
    assert instalment_problems([{"amount": "1000", "trigger": "on_confirmation"},
                                {"percent": "100", "trigger": "on_delivery"}]) == []


@pytest.mark.django_db
def test_the_customer_form_sets_and_clears_the_structured_term(client, users, customer):
    client.force_login(users["account_manager"])
    page = client.get(f"/customers/{customer.pk}/edit/").content.decode()
    assert "结构化付款条件" in page and "验收后60天" in page
    fields = {"name": customer.name, "uscc": customer.uscc, "address": "上海", "payment_terms": "月结30天",
              "payment_term": "月结30天", "notice_channel": "email"}
    response = client.post(f"/customers/{customer.pk}/edit/", fields)
    assert response.status_code == 302, response.content.decode()[:2000]
    customer.refresh_from_db()
    assert customer.payment_term.name == "月结30天" and customer.payment_terms == "月结30天"
    assert "月结30天" in client.get(f"/customers/{customer.pk}/").content.decode()
    response = client.post(f"/customers/{customer.pk}/edit/", {**fields, "payment_term": "无此条件"})
    assert response.status_code == 422 and "付款条件不存在：无此条件" in response.content.decode()
    customer.refresh_from_db()
    assert customer.payment_term.name == "月结30天"
    client.post(f"/customers/{customer.pk}/edit/", {**fields, "payment_term": ""})
    customer.refresh_from_db()
    assert customer.payment_term is None and customer.payment_terms == "月结30天"
