"""The director's threshold follows the seed: "若涉及大额订单(如超过万元)或特殊条款,需上报销售总监最终审批" —
over 10,000.00 yuan, strictly greater, an admin's setting; the rule's page says so in the seed's words."""
import importlib
from decimal import Decimal
from pathlib import Path

from django.apps import apps
from django.test import Client

from orderloop.orders.models import ApprovalPolicy
from tests.support.orders import act

SEED_WORDING = "大额订单（超过万元，默认 10,000 元）"


def approved_by_manager(orders, users, product, price: str):
    order = orders.received(lines=[{"product_id": product.pk, "quantity": "1", "unit_price": price}])
    order = act(order, "review", users["sales_assistant"], verdict="pass")
    return act(order, "approve", users["sales_manager"], comment="同意")


def test_the_default_threshold_is_ten_thousand(db):
    assert ApprovalPolicy.current().director_threshold == Decimal("10000.00")  # the row migrations leave
    assert ApprovalPolicy().director_threshold == Decimal("10000.00")  # and a rule not saved yet


def test_exactly_ten_thousand_needs_no_director_one_fen_more_does(orders, users, product):
    at_threshold = approved_by_manager(orders, users, product, "10000.00")
    assert at_threshold.status == "pending_stock_check"
    assert "director_reasons" not in at_threshold.events.get(type="approved").payload

    over = approved_by_manager(orders, users, product, "10000.01")
    assert over.status == "pending_director"
    assert over.events.get(type="approved").payload["director_reasons"] == ["金额 10,000.01 元超过 10,000.00 元"]
    # the director decides it, and only then does the stock check begin
    assert act(over, "approve", users["sales_director"], comment="同意").status == "pending_stock_check"


def _migration():
    path = next(Path(__file__).resolve().parents[3].glob("orderloop/orders/migrations/*_director_threshold_seed.py"))
    return importlib.import_module(f"orderloop.orders.migrations.{path.stem}")


def test_the_migration_moves_only_the_old_default(db):
    migration = _migration()
    ApprovalPolicy.objects.update(director_threshold=Decimal("100000.00"))  # an installation on the old default
    migration.threshold_to_seed(apps, None)
    assert ApprovalPolicy.current().director_threshold == Decimal("10000.00")

    ApprovalPolicy.objects.update(director_threshold=Decimal("60000.00"))  # an admin's own choice stays
    migration.threshold_to_seed(apps, None)
    assert ApprovalPolicy.current().director_threshold == Decimal("60000.00")


def test_the_rule_page_says_it_in_the_seeds_words(users):
    client = Client()
    client.force_login(users["admin"])
    page = client.get("/setup/approval/").content.decode()
    assert SEED_WORDING + "或含特殊条款的订单，还须上报销售总监最终审批" in page
    assert SEED_WORDING + "需总监审批" in page  # beside the amount's field
    assert 'value="10000.00"' in page
    # the guide's summary of the rule names the amount too
    assert "超过 10,000.00 元" in client.get("/setup/").content.decode()
