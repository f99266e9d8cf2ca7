"""Products in the app (issue 22): the list with search and stock per warehouse for everyone who enters or checks
orders; 新建, 编辑, 停用 only for PRODUCT_EDITORS (admin); the cost price only for COST_READERS; a stock adjustment,
with its reason, only for STOCK_KEEPERS (admin, warehouse). The Django admin only for administrators."""
from decimal import Decimal

import pytest
from django.test import Client

from orderloop.core.models import AuditEntry
from orderloop.masterdata.models import Product, StockAdjustment, StockLevel
from tests.support.api_client import Api
from tests.support.users import ROLES

READERS = {"sales_assistant", "account_manager", "sales_manager", "sales_director", "admin", "warehouse", "production"}
COST_READERS = {"sales_manager", "sales_director", "admin"}
STOCK_KEEPERS = {"admin", "warehouse"}


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _form(**fields) -> dict:
    return {"name": "服务器B型", "model": "S-002", "unit": "台", "list_price": "6800", "cost_price": "5100", **fields}


@pytest.mark.parametrize("role", ROLES)
def test_who_reads_products_and_sees_the_cost(users, product, role):
    client = _client(users[role])
    listing = client.get("/products/", {"q": "S-001"})
    detail = client.get(f"/products/{product.pk}/")
    assert (listing.status_code, detail.status_code) == ((200, 200) if role in READERS else (403, 403))
    if role in READERS:
        assert "服务器A型" in listing.content.decode()
        assert ("4000.00" in detail.content.decode()) == (role in COST_READERS)
        assert ("成本价" in listing.content.decode()) == (role in COST_READERS)


@pytest.mark.parametrize("role", ROLES)
def test_only_the_admin_creates_edits_and_deactivates_products(users, product, role):
    client = _client(users[role])
    created = client.post("/products/new/", _form())
    edited = client.post(f"/products/{product.pk}/edit/", _form(name="服务器A型改", model="S-001"))
    stopped = client.post(f"/products/{product.pk}/active/", {"active": "0"})
    product.refresh_from_db()
    if role == "admin":
        assert (created.status_code, edited.status_code, stopped.status_code) == (302, 302, 302)
        assert Product.objects.filter(model="S-002", list_price=Decimal("6800")).exists()
        assert product.name == "服务器A型改" and not product.is_active
        assert AuditEntry.objects.filter(operation="updated", object_id=str(product.pk)).exists()
    else:
        assert (created.status_code, edited.status_code, stopped.status_code) == (403, 403, 403)
        assert not Product.objects.filter(model="S-002").exists()
        assert product.name == "服务器A型" and product.is_active


def test_a_deactivated_product_is_not_offered_for_new_orders(users, product):
    _client(users["admin"]).post(f"/products/{product.pk}/active/", {"active": "0"})
    client = _client(users["sales_assistant"])
    assert "S-001" not in client.get("/products/").content.decode()
    assert "S-001" in client.get("/products/", {"state": "inactive"}).content.decode()
    assert [p["model"] for p in Api("sales_assistant").get("/products").json()] == []


def test_a_taken_model_is_refused_naming_the_product(users, product):
    response = _client(users["admin"]).post("/products/new/", _form(model="S-001"))
    assert response.status_code == 422
    assert "S-001 已存在（服务器A型）" in response.content.decode()
    assert 'value="服务器B型"' in response.content.decode()


@pytest.mark.parametrize("role", ROLES)
def test_who_adjusts_stock(users, product, role):
    response = _client(users[role]).post(f"/products/{product.pk}/stock/", {
        "warehouse": "主仓库", "on_hand_change": "25", "reason": "采购入库"})
    level = StockLevel.objects.filter(product=product, warehouse="主仓库").first()
    if role in STOCK_KEEPERS:
        assert response.status_code == 302
        assert level.on_hand == 25
        adjustment = StockAdjustment.objects.get(stock=level)
        assert (adjustment.reason, adjustment.actor) == ("采购入库", users[role])
    else:
        assert response.status_code == 403
        assert level is None


def test_stock_per_warehouse_shows_available(users, product):
    client = _client(users["warehouse"])
    client.post(f"/products/{product.pk}/stock/", {"warehouse": "主仓库", "on_hand_change": "10", "reason": "入库"})
    client.post(f"/products/{product.pk}/stock/", {"warehouse": "南仓", "on_hand_change": "4", "reason": "入库"})
    StockLevel.objects.filter(product=product, warehouse="主仓库").update(reserved=3)
    page = client.get(f"/products/{product.pk}/").content.decode()
    assert 'data-warehouse="主仓库"><td>主仓库</td><td class="num">10</td>' in page
    assert '<td class="num available">7</td>' in page and '<td class="num available">4</td>' in page


def test_an_adjustment_without_reason_or_below_zero_changes_nothing(users, product):
    client = _client(users["warehouse"])
    no_reason = client.post(f"/products/{product.pk}/stock/", {"on_hand_change": "5", "reason": " "})
    below = client.post(f"/products/{product.pk}/stock/", {"on_hand_change": "-1", "reason": "盘亏"})
    not_a_number = client.post(f"/products/{product.pk}/stock/", {"on_hand_change": "五", "reason": "入库"})
    assert (no_reason.status_code, below.status_code, not_a_number.status_code) == (422, 422, 422)
    assert "请填写调整原因" in no_reason.content.decode() and "不能为负" in below.content.decode()
    assert not StockAdjustment.objects.exists()
    assert 'value="盘亏"' in below.content.decode()


@pytest.mark.parametrize("role", sorted(set(ROLES) - {"admin"}))
@pytest.mark.parametrize("path", ["/admin/", "/admin/masterdata/customer/add/", "/admin/masterdata/product/add/"])
def test_the_django_admin_is_for_administrators_only(users, role, path):
    assert not users[role].is_staff
    response = _client(users[role]).get(path)
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")


def test_the_demo_gives_admin_rights_to_the_admin_alone(db):
    from orderloop.accounts.models import User
    from orderloop.setup.demo import load_demo

    load_demo()
    assert sorted(User.objects.filter(is_staff=True).values_list("username", flat=True)) == ["admin"]
    assert sorted(User.objects.filter(is_superuser=True).values_list("username", flat=True)) == ["admin"]
