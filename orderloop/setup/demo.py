"""Demo data: one user per role (password ``orderloop``), two teams, the seed's
customers and products, and the seed's example orders in the states their
history puts them in, each driven there through the real lifecycle."""
import base64
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from orderloop.accounts.models import Team, User
from orderloop.aftersales.services import (ticket_close, ticket_follow_up, ticket_give_solution, ticket_open, ticket_resolve,
                                           ticket_respond)
from orderloop.core import clock
from orderloop.core.calendar import local
from orderloop.finance.models import Instalment
from orderloop.finance.receipts import Share, receipt_record
from orderloop.masterdata.models import Contact, Customer, Product, Qualification, StockLevel
from orderloop.masterdata.services import stock_adjust
from orderloop.orders.models import ApprovalPolicy, SalesOrder
from orderloop.orders.schemas import OrderCreate
from orderloop.orders.dates import default_stage_plan
from orderloop.orders.services import order_receive
from orderloop.orders.timers import logistics_notices_send, timers_flag_breaches
from orderloop.orders.uploads import attachment_store
from orderloop.orders.lifecycle.engine import perform_action
from orderloop.setup.models import CompanyProfile
from orderloop.setup.services import POLICY_FIELDS, approval_policy_save

PASSWORD = "orderloop"
# A 1×1 PNG standing in for a scanned business licence.
LICENCE_SCAN = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")

USERS = [
    # username, display name, roles, team
    ("sales_assistant", "陈*", ["sales_assistant"], "华北销售一组"),
    ("account_manager", "张*", ["account_manager"], "华北销售一组"),
    ("sales_manager", "刘*", ["sales_manager"], "华北销售一组"),
    ("sales_director", "赵*", ["sales_director"], None),
    ("warehouse", "孙*", ["warehouse"], None),
    ("production", "周*", ["production"], None),
    ("logistics", "吴*", ["logistics"], None),
    ("after_sales", "郑*", ["after_sales"], None),
    ("admin", "系统管理员", ["admin"], None),
    ("finance", "何*", ["finance"], None),
    ("sales_manager2", "钱*", ["sales_manager"], "华东销售二组"),
    ("account_manager2", "冯*", ["account_manager"], "华东销售二组"),
]
TEAM_MANAGERS = {"华北销售一组": "sales_manager", "华东销售二组": "sales_manager2"}


def database_is_empty() -> bool:
    return not User.objects.exists() and not SalesOrder.objects.exists()


def at(day: str, hm: str = "10:00") -> datetime:
    return timezone.make_aware(datetime.fromisoformat(f"{day} {hm}"))


@transaction.atomic
def load_demo() -> None:
    _company()
    users = _users()
    policy = ApprovalPolicy.current()  # the defaults, confirmed by the admin as in the first-run guide
    approval_policy_save(actor=users["admin"], data={name: getattr(policy, name) for name in POLICY_FIELDS})
    customers, products = _master_data(users)
    _seed_orders(users, customers, products)
    _worker_ran(at(*HISTORY_ENDS))
    _current_orders(users, customers, products)


def _company() -> None:
    """The demo seller."""
    if not CompanyProfile.objects.exists():
        CompanyProfile.objects.create(name="示例智能装备有限公司", uscc="91110108MA01A2B3CF", address="北京市海淀区示例路8号",
                                      phone="010-88886666", email="sales@example.com", bank_name="示例银行北京海淀支行",
                                      bank_account="1100 2233 4455 6677")


def _users() -> dict[str, User]:
    teams = {name: Team.objects.get_or_create(name=name)[0] for name in TEAM_MANAGERS}
    users = {}
    for username, display, roles, team in USERS:
        user, _ = User.objects.get_or_create(username=username, defaults={"display_name": display})
        user.display_name = display
        user.team = teams.get(team)
        user.email = f"{username}@example.com"
        user.is_staff = "admin" in roles
        user.is_superuser = "admin" in roles
        user.set_password(PASSWORD)
        user.save()
        user.groups.set(Group.objects.filter(name__in=roles))
        users[username] = user
    for name, manager in TEAM_MANAGERS.items():
        teams[name].manager = users[manager]
        teams[name].save()
    return users


def _master_data(users):
    def customer(name, uscc, owner, contact, phone, address, limit, code, terms):
        c, _ = Customer.objects.get_or_create(name=name, defaults={
            "uscc": uscc, "owner": users[owner], "address": address, "qualification": Qualification.QUALIFIED,
            "code": code, "payment_terms": terms,
            "credit_record": "信用良好，无逾期记录", "credit_limit": Decimal(limit), "licence_expiry": date(2030, 12, 31),
        })
        if not c.business_licence:
            c.business_licence.save(f"licence-{uscc}.png", ContentFile(LICENCE_SCAN), save=True)
        Contact.objects.get_or_create(customer=c, name=contact, defaults={"phone": phone, "is_primary": True,
                                                                         "email": "buyer@example.com"})
        return c

    customers = {
        "tech": customer("科技有限公司", "91310115MA1FL5C15C", "account_manager", "李*", "13800001111", "北京市海淀区路1号", "500000",
                         "C001", "30%预付,余款到付"),
        "trade": customer("贸易公司", "92440300L23456783T", "account_manager", "王*", "13900002222", "深圳市南山区路2号", "300000",
                          "C002", "货到付款"),
        "east": customer("华东制造有限公司", "91110000600037341L", "account_manager2", "周*", "13700003333", "上海市浦东新区路3号", "0",
                         "C003", "月结30天"),
    }
    catalogue = [
        ("服务器A型", "S-001", "台", "5000.00", "4000.00"),
        ("服务器B型", "S-002", "台", "8000.00", "6200.00"),
        ("交换机", "N-100", "台", "1200.00", "800.00"),
        ("安装调试服务", "SV-01", "次", "500.00", "200.00"),
    ]
    products = {}
    for name, model, unit, price, cost in catalogue:
        products[model], _ = Product.objects.get_or_create(model=model, defaults={
            "name": name, "unit": unit, "list_price": Decimal(price), "cost_price": Decimal(cost)})
    with clock.frozen_at(at("2024-05-01", "09:00")):  # enough on hand for every line the history confirms as 现货
        for model, quantity in OPENING_STOCK.items():
            if not StockLevel.objects.filter(product=products[model]).exists():
                stock_adjust(actor=users["admin"], product_id=products[model].pk, on_hand_change=Decimal(quantity),
                             reason="期初库存盘点")
    return customers, products


OPENING_STOCK = {"S-001": "40", "S-002": "20", "N-100": "60"}  # the services (SV-01) are not stocked


def _act_event(order, action, user, when, **data):
    if action in ("approve", "reject"):
        data.setdefault("version", SalesOrder.objects.get(pk=order.pk).version)
    with clock.frozen_at(when):
        return perform_action(order_id=order.pk, action_name=action, actor=user, data=data)


def _act(order, action, user, when, **data):
    return _act_event(order, action, user, when, **data).order


def _receipt(order):
    """The customer's signed 签收单, scanned."""
    return attachment_store(order=order, kind="receipt", filename="签收单.png", content=LICENCE_SCAN, actor=None, now=clock.now())


def _money_in(order, user, when, number: int, bank_reference: str):
    """Finance records the customer's payment of the order's instalment ``number`` in full, received that day."""
    row = Instalment.objects.get(order=order, number=number)
    with clock.frozen_at(when):
        return receipt_record(customer_id=order.customer_id, received_on=local(when).date(), payer=order.customer.name,
                              amount=row.outstanding, bank_reference=bank_reference, actor=user,
                              allocations=[Share(row.pk, row.outstanding)])


def _receive(user, when, **data):
    with clock.frozen_at(when):
        return order_receive(actor=user, data=OrderCreate(**data))


def _seed_orders(u, c, p):
    # 202405-001: 科技有限公司, 服务器A型 S-001 × 10 @ 5000, delivered, visited and closed.
    o = _receive(u["sales_assistant"], at("2024-05-10", "09:30"), customer_id=c["tech"].pk, contact_name="李*",
                 contact_phone="13800001111", order_date="2024-05-10", channel="email", payment_terms="30%预付,余款到付",
                 delivery_address="北京市海淀区路1号", requested_date="2024-05-25", special_requirements="定制logo",
                 remarks="需定制logo", lines=[{"product_id": p["S-001"].pk, "quantity": 10, "unit_price": "5000"}])
    o = _act(o, "review", u["sales_assistant"], at("2024-05-10", "10:30"), verdict="pass", comment="关键信息齐全")
    o = _act(o, "approve", u["sales_manager"], at("2024-05-10", "14:00"), comment="同意")
    # 50,000 yuan: a large order (大额订单, over 10,000), so the director approves it too.
    o = _act(o, "approve", u["sales_director"], at("2024-05-10", "16:00"), comment="同意")
    o = _act(o, "confirm_stock", u["production"], at("2024-05-11", "10:00"), lines=[
        {"line_id": o.lines.get().pk, "availability": "needs_production", "lead_time_days": 6, "feasible_date": "2024-05-20", "date_reason": "按排产计划"}])
    # 30%预付: the 15,000.00 deposit comes in the afternoon it falls due, before production starts
    _money_in(o, u["finance"], at("2024-05-11", "15:00"), 1, "2024051115000012")
    o = _act(o, "start_fulfillment", u["production"], at("2024-05-13", "09:00"), stages=[
        {"name": "生产备货", "owner": "production", "planned_date": "2024-05-20"}])
    o = _act(o, "track", u["sales_assistant"], at("2024-05-18", "16:00"), stage="生产备货", record="客户希望提前至5月23日交付",
             problem="交付时效：希望提前至5月23日", measure="协调物流加急，承担额外运费", next_step="客户同意提前交付")
    # 表3, first row: the customer asks for an earlier delivery; the account manager handles it.
    with clock.frozen_at(at("2024-05-18", "16:10")):
        ticket = ticket_open(order_id=o.pk, actor=u["account_manager"], ticket_type="delivery_time",
                             description="希望提前至5月23日")
    with clock.frozen_at(at("2024-05-18", "16:30")):
        ticket_give_solution(ticket_id=ticket.pk, actor=u["account_manager"], solution_type="other",
                             solution="协调物流加急,承担额外运费", promised_at=at("2024-05-19", "18:00"))
    with clock.frozen_at(at("2024-05-19", "10:00")):
        ticket_resolve(ticket_id=ticket.pk, actor=u["account_manager"], result="客户同意提前交付")
        ticket_follow_up(ticket_id=ticket.pk, actor=u["account_manager"], confirmed=True, satisfaction=5,
                         note="客户确认5月23日交付")
        ticket_close(ticket_id=ticket.pk, actor=u["account_manager"])
    o = _act(o, "track", u["production"], at("2024-05-20", "17:00"), stage="生产备货", record="已完成生产,质检合格",
             problem="无", measure="无", next_step="5月21日安排发货", planned_date="2024-05-20", actual_date="2024-05-20")
    o = _act(o, "prepare_shipment", u["warehouse"], at("2024-05-20", "17:30"), goods="服务器A型 S-001 × 10",
             quantity_checked=True, qc_passed=True, qc_report="10台全部质检合格")
    o = _act(o, "ship", u["logistics"], at("2024-05-21", "09:00"), method="express", carrier="顺丰速运",
             tracking_number="SF1234567890", eta="2024-05-23")
    o = _act(o, "accept", u["account_manager"], at("2024-05-23", "15:00"), receipt_attachment_id=_receipt(o).pk,
             quantity_ok=True, spec_ok=True,
             appearance_ok=True, signed_by="李*")
    _money_in(o, u["finance"], at("2024-05-23", "16:30"), 2, "2024052316300087")  # 余款到付: the balance on arrival
    o = _act(o, "follow_up", u["account_manager"], at("2024-05-24", "10:00"), channel="phone",
             usage="设备运行正常，客户对加急交付满意", satisfaction=5)
    _act(o, "close", u["sales_manager"], at("2024-05-24", "11:00"), note="回访完成，无售后问题")

    # 202405-002: 科技有限公司, 服务器A型 S-001 × 10 @ 5000, shipped; at 客户验收 the account manager calls the
    # customer (表2's row: 客户临时要求增加1台). The extra unit is part 2 of the order — more of an approved large
    # order goes back through the stock check, not approval — confirmed from stock by the warehouse, stocked,
    # prepared and shipped the same day as the second consignment: both await acceptance on 5月26日.
    o = _receive(u["sales_assistant"], at("2024-05-15", "10:00"), customer_id=c["tech"].pk, contact_name="李*",
                 contact_phone="13800001111", order_date="2024-05-15", channel="web", payment_terms="30%预付,余款到付",
                 delivery_address="北京市海淀区路1号", requested_date="2024-05-26",
                 lines=[{"product_id": p["S-001"].pk, "quantity": 10, "unit_price": "5000"}])
    o = _act(o, "review", u["sales_assistant"], at("2024-05-15", "11:00"), verdict="pass")
    o = _act(o, "approve", u["sales_manager"], at("2024-05-15", "15:00"), comment="同意")
    o = _act(o, "approve", u["sales_director"], at("2024-05-15", "17:00"), comment="同意")  # 50,000 yuan
    o = _act(o, "confirm_stock", u["warehouse"], at("2024-05-16", "10:00"), lines=[
        {"line_id": o.lines.get().pk, "availability": "in_stock", "feasible_date": "2024-05-24", "date_reason": "按排产计划"}])
    # The deposit does not come; the sales manager lets stocking start without it (付款放行). It stays unpaid: the
    # demo's overdue receivable.
    o = _act(o, "waive_payment", u["sales_manager"], at("2024-05-16", "16:00"),
             reason="老客户，信用良好，客户承诺预付款随到货一并支付，先行备货")
    o = _act(o, "start_fulfillment", u["warehouse"], at("2024-05-17", "09:00"), stages=[
        {"name": "备货", "owner": "warehouse", "planned_date": "2024-05-23"}])
    o = _act(o, "track", u["warehouse"], at("2024-05-23", "16:30"), stage="备货", record="10台备货完成,质检合格",
             problem="无", measure="无", next_step="5月25日发货", planned_date="2024-05-23", actual_date="2024-05-23")
    o = _act(o, "prepare_shipment", u["warehouse"], at("2024-05-23", "17:00"), goods="服务器A型 S-001 × 10",
             quantity_checked=True, qc_passed=True, qc_report="10台全部质检合格")
    o = _act(o, "ship", u["logistics"], at("2024-05-25", "09:00"), method="truckload", carrier="德邦物流",
             tracking_number="DB20240525001", eta="2024-05-26")
    _worker_ran(at("2024-05-25", "09:00"))  # the customer is told of the first consignment that morning
    o = _act(o, "track", u["account_manager"], at("2024-05-25", "10:00"),
             stage="客户验收", record="已联系客户确认明日送达", problem="客户临时要求增加1台",
             measure="协调仓库紧急备货,同步更新订单数量", next_step="5月26日现场交付并验收", planned_date="2024-05-26")
    first = o.lines.get()
    o = _act(o, "amend", u["sales_assistant"], at("2024-05-25", "10:30"), reason="客户临时要求增加1台",
             lines=[{"line_id": first.pk, "quantity": 11}])
    added = o.lines.get(part=2)
    o = _act(o, "confirm_stock", u["warehouse"], at("2024-05-25", "11:00"), lines=[
        {"line_id": added.pk, "availability": "in_stock", "feasible_date": "2024-05-26", "date_reason": "协调仓库紧急备货"}])
    o = _act(o, "start_fulfillment", u["warehouse"], at("2024-05-25", "11:30"), stages=[
        {"name": "备货", "owner": "warehouse", "planned_date": "2024-05-25"}])
    o = _act(o, "track", u["warehouse"], at("2024-05-25", "14:00"), stage="备货", record="紧急备货1台完成,质检合格",
             problem="无", measure="无", next_step="今日随第2批发出", planned_date="2024-05-25", actual_date="2024-05-25")
    o = _act(o, "prepare_shipment", u["warehouse"], at("2024-05-25", "14:30"), goods="服务器A型 S-001 × 1",
             quantity_checked=True, qc_passed=True, qc_report="1台质检合格")
    _act(o, "ship", u["logistics"], at("2024-05-25", "15:00"), method="express", carrier="顺丰速运",
         tracking_number="SF20240525001", eta="2024-05-26")

    # 202405-003: 贸易公司, delivered; the visit found noise from a server (产品质量), solved, closed.
    o = _receive(u["sales_assistant"], at("2024-05-16", "10:00"), customer_id=c["trade"].pk, contact_name="王*",
                 contact_phone="13900002222", order_date="2024-05-16", channel="paper", payment_terms="货到付款",
                 delivery_address="深圳市南山区路2号", requested_date="2024-05-21",
                 lines=[{"product_id": p["S-002"].pk, "quantity": 2, "unit_price": "8000"}])
    o = _act(o, "review", u["sales_assistant"], at("2024-05-16", "11:00"), verdict="pass")
    o = _act(o, "approve", u["sales_manager"], at("2024-05-16", "14:00"), comment="同意")
    o = _act(o, "approve", u["sales_director"], at("2024-05-16", "15:00"), comment="同意")  # 16,000 yuan
    o = _act(o, "confirm_stock", u["warehouse"], at("2024-05-16", "16:00"), lines=[
        {"line_id": o.lines.get().pk, "availability": "in_stock", "feasible_date": "2024-05-20", "date_reason": "按排产计划"}])
    o = _act(o, "start_fulfillment", u["warehouse"], at("2024-05-17", "09:00"), stages=[
        {"name": "备货", "owner": "warehouse", "planned_date": "2024-05-18"}])
    o = _act(o, "track", u["warehouse"], at("2024-05-18", "15:00"), stage="备货", record="2台备货完成,质检合格",
             problem="无", measure="无", next_step="5月19日发货", planned_date="2024-05-18", actual_date="2024-05-18")
    o = _act(o, "prepare_shipment", u["warehouse"], at("2024-05-18", "16:00"), goods="服务器B型 S-002 × 2",
             quantity_checked=True, qc_passed=True, qc_report="2台质检合格")
    o = _act(o, "ship", u["logistics"], at("2024-05-19", "09:00"), method="express", carrier="顺丰速运",
             tracking_number="SF2024051901", eta="2024-05-21")
    o = _act(o, "accept", u["logistics"], at("2024-05-21", "11:00"), receipt_attachment_id=_receipt(o).pk,
             quantity_ok=True, spec_ok=True, appearance_ok=True,
             signed_by="王*")
    # The visit finds noise from a server (产品质量): 表3, second row.
    event = _act_event(o, "follow_up", u["account_manager"], at("2024-05-22", "09:30"), channel="phone",
                       usage="已投入使用，运行时有异响", satisfaction=3, need_type="quality", need="服务器运行时有异响")
    ticket = o.tickets.get(pk=event.payload["ticket_id"])
    with clock.frozen_at(at("2024-05-22", "10:00")):
        ticket_respond(ticket_id=ticket.pk, actor=u["after_sales"], note="已电话联系客户，安排24小时内上门检测")
        ticket_give_solution(ticket_id=ticket.pk, actor=u["after_sales"], solution_type="repair",
                             solution="24小时内上门检测,更换风扇部件", promised_at=at("2024-05-23", "18:00"))
    with clock.frozen_at(at("2024-05-23", "15:00")):
        ticket_resolve(ticket_id=ticket.pk, actor=u["after_sales"], result="问题已解决,客户正常使用")
    with clock.frozen_at(at("2024-05-23", "17:00")):
        ticket_follow_up(ticket_id=ticket.pk, actor=u["after_sales"], confirmed=True, satisfaction=4,
                         note="客户确认设备运行正常")
        ticket_close(ticket_id=ticket.pk, actor=u["after_sales"])
    _money_in(o, u["finance"], at("2024-05-23", "11:00"), 1, "2024052311000315")  # 货到付款
    _act(o, "close", u["sales_manager"], at("2024-05-24", "09:00"), note="回访完成，售后问题已解决")


# The seed's last step: 202405-002's second consignment ships the afternoon before delivery.
HISTORY_ENDS = ("2024-05-25", "15:30")


def _worker_ran(when: datetime) -> None:
    """The worker's deadline pass (orders.tasks.check_deadlines) as it ran at ``when``: the history's logistics notice
    went out on its day, so a first start has no deadline of 2024 left to escalate."""
    with clock.frozen_at(when):
        timers_flag_breaches()
        logistics_notices_send()


def _current_orders(u, c, p):
    now = clock.now()
    # A fresh intake waiting for review.
    _receive(u["sales_assistant"], now - timedelta(hours=1), customer_id=c["tech"].pk, contact_name="李*",
             contact_phone="13800001111", channel="email", payment_terms="月结30天", delivery_address="北京市海淀区路1号",
             requested_date=(now + timedelta(days=20)).date().isoformat(),
             lines=[{"product_id": p["N-100"].pk, "quantity": 20}, {"product_id": p["SV-01"].pk, "quantity": 1}])
    # A large order (120,000 yuan): the manager approves, the director must approve too.
    o = _receive(u["sales_assistant"], now - timedelta(minutes=50), customer_id=c["trade"].pk, contact_name="王*",
                 contact_phone="13900002222", channel="web", payment_terms="50%预付,余款到付",
                 delivery_address="深圳市南山区路2号", requested_date=(now + timedelta(days=30)).date().isoformat(),
                 lines=[{"product_id": p["S-002"].pk, "quantity": 15}])
    _act(o, "review", u["sales_assistant"], now - timedelta(minutes=40), verdict="pass")
    # An order in production on the default plan: the board's morning stand-up shows it.
    o = _receive(u["sales_assistant"], now - timedelta(hours=3), customer_id=c["tech"].pk, contact_name="李*",
                 contact_phone="13800001111", channel="phone", payment_terms="30%预付,余款到付",
                 delivery_address="北京市海淀区路1号", requested_date=(now + timedelta(days=30)).date().isoformat(),
                 lines=[{"product_id": p["S-001"].pk, "quantity": 5}])
    o = _act(o, "review", u["sales_assistant"], now - timedelta(hours=2, minutes=50), verdict="pass")
    o = _act(o, "approve", u["sales_manager"], now - timedelta(hours=2, minutes=30), comment="同意")
    o = _act(o, "approve", u["sales_director"], now - timedelta(hours=2, minutes=15), comment="同意")  # 25,000 yuan
    o = _act(o, "confirm_stock", u["production"], now - timedelta(hours=2), lines=[
        {"line_id": o.lines.get().pk, "availability": "needs_production", "lead_time_days": 7}])
    _money_in(o, u["finance"], now - timedelta(hours=1, minutes=45), 1, f"{local(now):%Y%m%d}0001")  # its 7,500.00 deposit
    _act(o, "start_fulfillment", u["production"], now - timedelta(hours=1, minutes=30), stages=default_stage_plan())
