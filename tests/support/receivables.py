"""Receivables in two sales teams: the ``users`` fixture's team A with its customer, and a team B of its own
(assistant, account manager, manager and customer), each with an order delivered and its balance unpaid."""
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.core.files.base import ContentFile

from orderloop.accounts.models import Team
from orderloop.core import clock
from orderloop.masterdata.models import Contact, Customer, Qualification
from orderloop.masterdata.uscc import uscc_check_char
from orderloop.setup.demo import LICENCE_SCAN
from tests.support.orders import OrderBuilder
from tests.support.users import make_user

SH = ZoneInfo("Asia/Shanghai")
OURS, THEIRS = "科技有限公司", "远方贸易有限公司"


def at(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SH)


def team_b(users, product) -> dict:
    """Team B's staff and customer, and an OrderBuilder for its orders."""
    other = Team.objects.create(name="华南销售二组")
    staff = {role: make_user(f"b_{role}", role, team=other) for role in ("sales_assistant", "account_manager", "sales_manager")}
    other.manager = staff["sales_manager"]
    other.save()
    far = Customer.objects.create(name=THEIRS, uscc="91440300MA5F00001" + uscc_check_char("91440300MA5F00001"),
                                  owner=staff["account_manager"], qualification=Qualification.QUALIFIED,
                                  address="深圳市南山区路2号", licence_expiry=date(2099, 12, 31), credit_record="信用良好")
    far.business_licence.save("licence.png", ContentFile(LICENCE_SCAN), save=True)
    Contact.objects.create(customer=far, name="王*", phone="13900002222", is_primary=True)
    return {"team": other, "staff": staff, "customer": far, "orders": OrderBuilder({**users, **staff}, far, product)}


def delivered_in_two_teams(orders, users, product, when: datetime) -> dict:
    """Team A: 50,000.00 delivered at ``when`` (deposit paid, 35,000.00 due that day); team B: 15,000.00 delivered
    at ``when`` (10,500.00 due that day)."""
    b = team_b(users, product)
    with clock.frozen_at(when):
        ours = orders.at("delivered")
        theirs = b["orders"].at("delivered", lines=[{"product_id": product.pk, "quantity": "3", "unit_price": "5000"}])
    return {**b, "ours": ours, "theirs": theirs}
