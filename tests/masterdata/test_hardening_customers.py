"""A customer's financial terms and owner (SPEC section 9, financial authority): the credit limit, the
qualification and the owner change only by the sales manager of the customer's team, the director or an admin,
audited with old and new value; a refused change keeps nothing of the request. The .xlsx import names only an
order owner of the importing user's team."""
import io
from decimal import Decimal

import pytest
from django.test import Client
from openpyxl import Workbook

from orderloop.accounts.models import Team
from orderloop.core.models import AuditEntry
from orderloop.masterdata.models import Customer, Qualification
from orderloop.orders.importing import orders_import
from orderloop.orders.models import SalesOrder
from orderloop.orders.registers import REGISTER_1
from tests.support.api_client import Api
from tests.support.orders import act
from tests.support.users import make_user


@pytest.fixture
def east(users):
    """A second team with its own manager and account manager."""
    team = Team.objects.create(name="华东销售二组")
    manager = make_user("sm_east", "sales_manager", team=team)
    team.manager = manager
    team.save()
    return {"team": team, "manager": manager, "account_manager": make_user("am_east", "account_manager", team=team)}


def _customer_audits(customer):
    return list(AuditEntry.objects.filter(object_type="masterdata.customer", object_id=str(customer.pk),
                                          operation="updated").order_by("id"))


def _state(customer):
    customer = Customer.objects.get(pk=customer.pk)
    return (customer.name, customer.address, customer.credit_limit, customer.qualification, customer.owner_id,
            list(customer.contacts.values_list("name", "phone")))


# --- item 4: credit limit and qualification ----------------------------------------------------------------------

@pytest.mark.parametrize("role", ["sales_assistant", "account_manager"])
@pytest.mark.parametrize("change", [{"credit_limit": "0.00"}, {"credit_limit": "900000.00"},
                                    {"qualification": "qualified"}, {"qualification": "unqualified"}])
def test_sales_roles_cannot_change_credit_limit_or_qualification_and_nothing_of_the_edit_is_kept(users, customer, role,
                                                                                                 change):
    Customer.objects.filter(pk=customer.pk).update(credit_limit=Decimal("80000.00"), qualification=Qualification.PENDING)
    before = _state(customer)
    response = Api(role).patch(f"/customers/{customer.pk}", {
        "address": "上海市新地址", "contacts": [{"name": "新联系人", "phone": "13911112222"}], **change})
    assert response.status_code == 403, response.json()
    body = response.json()
    assert set(body["errors"]) == set(change) and body["detail"]
    assert _state(customer) == before  # neither the address nor the contacts: the whole request is refused
    assert _customer_audits(customer) == []


def test_the_owning_account_manager_cannot_switch_the_credit_rule_off(orders, users, customer, product):
    customer.credit_limit = Decimal("8000.00")
    customer.save()
    assert Api("account_manager").patch(f"/customers/{customer.pk}", {"credit_limit": "0"}).status_code == 403
    small = [{"product_id": product.pk, "quantity": "1", "unit_price": "5000"}]  # under the director's threshold
    first = act(act(orders.received(lines=small), "review", users["sales_assistant"], verdict="pass"), "approve",
                users["sales_manager"], comment="同意")
    second = act(act(orders.received(lines=small), "review", users["sales_assistant"], verdict="pass"), "approve",
                 users["sales_manager"], comment="同意")
    assert (first.status, second.status) == ("pending_stock_check", "pending_director")  # 10,000 of 8,000


def test_sales_roles_still_edit_the_rest_and_may_send_the_terms_unchanged(users, customer):
    customer.credit_limit = Decimal("80000.00")
    customer.save()
    response = Api("sales_assistant").patch(f"/customers/{customer.pk}", {
        "address": "上海市新地址", "credit_limit": "80000.00", "qualification": "qualified", "owner": "account_manager"})
    assert response.status_code == 200, response.json()
    assert Customer.objects.get(pk=customer.pk).address == "上海市新地址"


@pytest.mark.parametrize("role", ["sales_manager", "sales_director", "admin"])
def test_financial_authority_sets_credit_limit_and_qualification_audited_old_and_new(users, customer, role):
    customer.credit_limit = Decimal("80000.00")
    customer.save()
    response = Api(role).patch(f"/customers/{customer.pk}", {"credit_limit": "120000.00", "qualification": "unqualified"})
    assert response.status_code == 200, response.json()
    assert response.json()["credit_limit"] == "120000.00" and response.json()["qualification"] == "unqualified"
    (entry,) = _customer_audits(customer)
    assert entry.actor == users[role]
    assert entry.changes == {"credit_limit": ["80000.00", "120000.00"], "qualification": ["qualified", "unqualified"]}


def test_a_sales_manager_has_no_authority_over_another_teams_customer(users, customer, east):
    theirs = Customer.objects.create(name="远方贸易有限公司", owner=east["account_manager"], credit_limit=Decimal("50000"))
    assert Api("sales_manager").patch(f"/customers/{theirs.pk}", {"credit_limit": "0"}).status_code == 404
    assert Api("sm_east").patch(f"/customers/{customer.pk}", {"qualification": "unqualified"}).status_code == 404
    assert Api("sm_east").patch(f"/customers/{theirs.pk}", {"credit_limit": "0"}).status_code == 200


def test_a_new_customer_gets_a_credit_limit_or_qualification_only_from_financial_authority(users):
    refused = Api("sales_assistant").post("/customers", {"name": "新客户", "credit_limit": "500000.00",
                                                          "qualification": "qualified"})
    assert refused.status_code == 403 and set(refused.json()["errors"]) == {"credit_limit", "qualification"}
    assert not Customer.objects.filter(name="新客户").exists()
    made = Api("sales_manager").post("/customers", {"name": "新客户", "credit_limit": "500000.00",
                                                     "owner": "account_manager"})
    assert made.status_code == 201 and made.json()["credit_limit"] == "500000.00"


# --- item 5: the customer's owner ------------------------------------------------------------------------------

@pytest.mark.parametrize("role", ["sales_assistant", "account_manager"])
@pytest.mark.parametrize("new_owner", ["am_east", "warehouse", "account_manager2", ""])
def test_sales_roles_cannot_move_a_customer(users, customer, east, role, new_owner):
    make_user("account_manager2", "account_manager", team=users["sales_assistant"].team)
    before = _state(customer)
    response = Api(role).patch(f"/customers/{customer.pk}", {"owner": new_owner, "address": "上海市新地址"})
    assert response.status_code == 403 and set(response.json()["errors"]) == {"owner"}
    assert _state(customer) == before and _customer_audits(customer) == []


def test_the_teams_manager_moves_a_customer_within_the_team_audited(users, customer):
    second = make_user("account_manager2", "account_manager", team=users["sales_assistant"].team)
    response = Api("sales_manager").patch(f"/customers/{customer.pk}", {"owner": "account_manager2"})
    assert response.status_code == 200 and response.json()["owner"] == "account_manager2"
    (entry,) = _customer_audits(customer)
    assert entry.actor == users["sales_manager"]
    assert entry.changes == {"owner": [users["account_manager"].pk, second.pk]}


def test_the_teams_manager_cannot_move_a_customer_to_another_team(users, customer, east):
    response = Api("sales_manager").patch(f"/customers/{customer.pk}", {"owner": "am_east"})
    assert response.status_code == 403 and set(response.json()["errors"]) == {"owner"}
    assert Customer.objects.get(pk=customer.pk).owner == users["account_manager"]


@pytest.mark.parametrize("role", ["sales_director", "admin"])
def test_the_director_and_admin_move_customers_across_teams_audited(users, customer, east, role):
    response = Api(role).patch(f"/customers/{customer.pk}", {"owner": "am_east"})
    assert response.status_code == 200 and response.json()["owner"] == "am_east"
    (entry,) = _customer_audits(customer)
    assert entry.actor == users[role] and entry.changes == {"owner": [users["account_manager"].pk, east["account_manager"].pk]}


@pytest.mark.parametrize("role", ["sales_manager", "sales_director", "admin"])
@pytest.mark.parametrize("new_owner", ["warehouse", "sales_assistant", "logistics"])
def test_only_an_account_manager_owns_a_customer(users, customer, role, new_owner):
    response = Api(role).patch(f"/customers/{customer.pk}", {"owner": new_owner})
    assert response.status_code == 422 and set(response.json()["errors"]) == {"owner"}
    assert Customer.objects.get(pk=customer.pk).owner == users["account_manager"]


def test_an_inactive_account_manager_cannot_be_given_a_customer(users, customer):
    gone = make_user("account_manager2", "account_manager", team=users["sales_assistant"].team)
    gone.is_active = False
    gone.save()
    assert Api("sales_manager").patch(f"/customers/{customer.pk}", {"owner": "account_manager2"}).status_code == 422


def test_a_new_customer_is_given_an_owner_of_the_creators_team_only(users, east):
    refused = Api("sales_assistant").post("/customers", {"name": "新客户", "owner": "am_east"})
    assert refused.status_code == 403 and set(refused.json()["errors"]) == {"owner"}
    not_a_seller = Api("sales_assistant").post("/customers", {"name": "新客户", "owner": "warehouse"})
    assert not_a_seller.status_code in (403, 422) and set(not_a_seller.json()["errors"]) == {"owner"}
    assert not Customer.objects.filter(name="新客户").exists()
    made = Api("sales_assistant").post("/customers", {"name": "新客户", "owner": "account_manager"})
    assert made.status_code == 201 and made.json()["owner"] == "account_manager"


def test_the_admin_site_audits_a_customers_terms_and_offers_only_account_managers(users, customer):
    users["admin"].is_staff = users["admin"].is_superuser = True  # as `orderloop createsuperuser` and the demo make it
    users["admin"].save()
    client = Client()
    client.force_login(users["admin"])
    page = client.get(f"/admin/masterdata/customer/{customer.pk}/change/")
    owners = page.context["adminform"].form.fields["owner"].queryset
    assert set(owners) == {users["account_manager"]}
    response = client.post(f"/admin/masterdata/customer/{customer.pk}/change/", {
        "name": customer.name, "uscc": customer.uscc, "address": customer.address, "qualification": "qualified",
        "licence_expiry": "2099-12-31", "credit_record": customer.credit_record, "credit_limit": "66000.00",
        "owner": users["account_manager"].pk, "is_active": "on", "notice_channel": "email",
        "contacts-TOTAL_FORMS": "0", "contacts-INITIAL_FORMS": "0", "contacts-MIN_NUM_FORMS": "0",
        "contacts-MAX_NUM_FORMS": "1000"})
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    (entry,) = _customer_audits(customer)
    assert entry.actor == users["admin"] and entry.changes == {"credit_limit": ["0.00", "66000.00"]}


# --- item 5: the import's 销售负责人 -----------------------------------------------------------------------------

def _workbook(owners) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(REGISTER_1)
    for index, owner in enumerate(owners):
        sheet.append([f"A-{index}", "科技有限公司", "李*", "13800001111", None, "服务器A型", "S-001", 1, 5000, None,
                      "30%预付,余款到付", "北京市海淀区路1号", None, owner, ""])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_the_import_refuses_an_owner_outside_the_importing_users_team(users, customer, product, east):
    result = orders_import(actor=users["sales_assistant"], content=_workbook(["account_manager", "am_east", "warehouse"]))
    assert result.created == []
    assert result.errors == {
        "第3行 销售负责人(N)": ["am_east 不在您的团队，不能作为销售负责人"],
        "第4行 销售负责人(N)": ["warehouse 不是销售助理或客户经理，不能作为销售负责人"],
    }
    assert SalesOrder.objects.count() == 0


def test_the_import_names_an_owner_of_the_team_or_the_importing_user(users, customer, product):
    result = orders_import(actor=users["sales_assistant"], content=_workbook(["account_manager", "sales_assistant", ""]))
    assert result.errors == {}
    assert [order.owner for order in result.created] == [users["account_manager"], users["sales_assistant"],
                                                         users["account_manager"]]


def test_the_import_page_shows_the_owner_refusal(users, customer, product, east):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = Client()
    client.force_login(users["account_manager"])
    response = client.post("/orders/import/", {"file": SimpleUploadedFile("orders.xlsx", _workbook(["am_east"]))})
    assert response.status_code == 422
    assert "am_east 不在您的团队，不能作为销售负责人" in response.content.decode()
    assert SalesOrder.objects.count() == 0
