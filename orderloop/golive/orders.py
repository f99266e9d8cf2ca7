"""Orders in flight (在途订单): the rows of register 1 (销售订单基本信息表, one row per line, the rows sharing an
订单编号 one order) with the stage each order has reached (当前阶段), brought in at that stage.

- An order from 待审批 on keeps the sheet's 订单编号 as its formal number (YYYYMM-NNN; one already in orderloop is
  refused) and each month's counter is raised to the highest number imported, so the next order of the month
  takes the next free number; at 已接收 or 待补充 it takes a provisional reference, as intake gives it.
- Its history is one 上线导入 event (the file, the import run, the stage and the sheet's rows) and
  ``SalesOrder.imported_at``: no approval is invented (``manager_approved_by`` stays empty).
- The deadlines of its stage start at the import, as on entering the stage (``engine.state_entered``); an order
  from 已确认 on gets its payment plan (``finance.plans.plan_sync``), and money already received (已收款) is one
  opening receipt allocated to its instalments in order.
- At 已发货 it gets one consignment of every line (预计送达时间, else 交付日期, else the import day), at 已交付 the
  same, accepted and signed for at the import, and its follow-up visit.
- A second sheet named 订单跟进进度表 (register 2's headers) brings each order's progress records.

Every cell is checked first (customers by 统一社会信用代码, then by name; products by 规格型号; users by user name
or name: each read once); any problem refuses the whole file, named by row and column."""
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.utils.translation import gettext as _
from openpyxl.utils import get_column_letter

from orderloop.accounts.models import User
from orderloop.accounts.permissions import ORDER_OWNERS, TICKET_HANDLERS
from orderloop.aftersales.models import Ticket, TicketState, TicketType
from orderloop.aftersales.services import RESPONSE_HOURS
from orderloop.core import clock
from orderloop.core.audit import audit_entry, diff
from orderloop.core.calendar import SHANGHAI, BusinessCalendar
from orderloop.core.models import AuditEntry
from orderloop.core.numbering import counter_raise, format_order_number
from orderloop.core.phones import phone_e164
from orderloop.finance.plans import PLANNED, plan_sync
from orderloop.finance.receipts import opening_receipt_record
from orderloop.golive.tables import Preview, cell_date, cell_decimal, template_workbook
from orderloop.orders.sheets import cell_text
from orderloop.masterdata.models import Customer, Product
from orderloop.masterdata.uscc import uscc_problem
from orderloop.orders.events import events_record
from orderloop.orders.lifecycle.engine import order_state, state_entered
from orderloop.orders.lines import build_line, keep_lines, line_amount
from orderloop.orders.models import (Channel, EventType, OrderLine, OrderStatus, SalesOrder, Shipment, ShipmentLine,
                                     ShippingMethod, TimerKind)
from orderloop.orders.models import OrderStatus as S
from orderloop.orders.registers import REGISTER_1, REGISTER_2, REGISTER_3
from orderloop.orders.services import new_provisional_ref
from orderloop.orders.sheets import UNREADABLE, sheet_rows
from orderloop.orders.timers import timer_start

STAGE = "当前阶段"
USCC = "统一社会信用代码"
PAID = "已收款(元)"
LOGISTICS = ["物流方式", "承运商", "物流单号", "预计送达时间"]
COLUMNS = [REGISTER_1[0], STAGE, REGISTER_1[1], USCC, *REGISTER_1[2:], PAID, *LOGISTICS]
REQUIRED = ["订单编号", STAGE, "客户名称", "规格型号", "数量"]
# What every row of one order says alike (the rest is the line's)
HEADER = [STAGE, "客户名称", USCC, "联系人", "联系方式", "下单日期", "付款方式", "交付地址", "交付日期", "销售负责人", "备注",
          PAID, *LOGISTICS]
PROGRESS_SHEET = "订单跟进进度表"  # register 2, a further sheet of the same workbook
FEEDBACK_SHEETS = ("客户反馈与售后记录表", "客户反馈处理表")  # register 3, likewise (its title, and the seed's words)
SATISFACTION = REGISTER_3[8]  # 客户满意度评分(1-5分)

# Every open stage may be brought in; a finished order (已完成, 已驳回, 已取消) is not in flight.
IMPORTABLE = [S.RECEIVED, S.NEEDS_INFO, S.PENDING_APPROVAL, S.PENDING_DIRECTOR, S.PENDING_STOCK_CHECK,
              S.DATE_NEGOTIATION, S.CONFIRMED, S.IN_FULFILLMENT, S.READY_TO_SHIP, S.SHIPPED, S.DELIVERED]
# 当前阶段 as the sheet says it: the stage's words in the UI (OrderStatus's labels, in Chinese)
STAGES = {"已接收": S.RECEIVED, "待补充": S.NEEDS_INFO, "待审批": S.PENDING_APPROVAL, "待总监审批": S.PENDING_DIRECTOR,
          "待确认库存": S.PENDING_STOCK_CHECK, "交期协商中": S.DATE_NEGOTIATION, "已确认": S.CONFIRMED,
          "备货/生产中": S.IN_FULFILLMENT, "待发货": S.READY_TO_SHIP, "已发货": S.SHIPPED, "已交付": S.DELIVERED}
assert list(STAGES.values()) == IMPORTABLE
FINISHED = [S.CLOSED, S.REJECTED, S.CANCELLED]
UNNUMBERED = frozenset({S.RECEIVED, S.NEEDS_INFO})  # the formal number is given when review passes
AGREED = frozenset(IMPORTABLE) - UNNUMBERED - {S.PENDING_APPROVAL, S.PENDING_DIRECTOR, S.PENDING_STOCK_CHECK,
                                               S.DATE_NEGOTIATION}  # the date is agreed from 已确认 on
SHIPPED = frozenset({S.SHIPPED, S.DELIVERED})
NUMBER = re.compile(r"^(\d{4})(\d{2})-(\d{3,})$")
PLACES = Decimal("0.01")
QUANTITY_PLACES = Decimal("0.001")
MAX_QUANTITY = Decimal("1e9")  # OrderLine.quantity: 12 digits, 3 of them decimals
MAX_AMOUNT = Decimal("1e12")  # an amount, a line's and the order's total: 14 digits, 2 of them decimals


def _stages() -> dict[str, str]:
    """What 当前阶段 may say: the stage in Chinese, as the UI shows it in the reader's language, or its code."""
    return {**STAGES, **{str(OrderStatus(s).label): s for s in IMPORTABLE}, **{s.value: s for s in IMPORTABLE}}


def template() -> bytes:
    stages = "、".join(str(OrderStatus(s).label) for s in IMPORTABLE)
    return template_workbook(
        title=_("在途订单"), columns=COLUMNS,
        examples=[["202410-017", "待审批", "科技有限公司", "91310115MA1FL5C15C", "李*", "13800001111", date(2024, 10, 8),
                   "服务器A型", "S-001", 10, 5000, 50000, "30%预付,余款到付", "北京市海淀区路1号", date(2024, 11, 25),
                   "", "需定制logo", "", "", "", "", ""],
                  ["202410-018", "已发货", "科技有限公司", "", "李*", "13800001111", date(2024, 10, 9), "服务器A型",
                   "S-001", 2, 5000, 10000, "款到发货", "北京市海淀区路1号", date(2024, 11, 30), "", "", 10000,
                   "快递", "顺丰速运", "SF1234567890", date(2024, 11, 28)]],
        instructions=[
            ("订单编号", _("必填（已接收、待补充的订单可留空）。同一订单的多行填写相同的编号。待审批及以后阶段的订单保留表中的正式编号，"
                          "格式 YYYYMM-NNN（如 202410-017），不能与系统中已有的编号重复；导入后本月新订单的编号接着导入的最大编号继续。"
                          "已接收、待补充的订单按正常接收分配临时编号，正式编号在初步审核通过时分配。")),
            (STAGE, _("必填，订单目前所处的阶段：%(stages)s。已完成、已驳回、已取消的订单不是在途订单，不能导入。") % {"stages": stages}),
            ("客户名称 / 统一社会信用代码", _("客户须已导入系统：填写统一社会信用代码时按代码查找，否则按客户名称（须完全一致）。")),
            ("联系人 / 联系方式", _("选填；联系方式须为有效的手机号或座机号。")),
            ("下单日期 / 交付日期", _("日期，格式 YYYY-MM-DD；下单日期留空为导入当天，不能晚于今天；交付日期不能早于下单日期。"
                               "已确认及以后阶段的订单以交付日期为约定交期。")),
            ("产品/服务名称 / 规格型号", _("规格型号必填，产品须已导入系统；名称可留空，填写时须与产品一致。")),
            ("数量 / 单价(元)", _("数量必填，大于 0；单价留空按产品标准单价，不小于 0，最多两位小数。")),
            ("总金额(元)", _("可留空；如填写，须等于订单总金额（各行 数量 × 单价 之和）或本行金额。")),
            ("销售负责人", _("用户名或姓名，须为销售助理或客户经理；留空为客户的客户经理。")),
            (PAID, _("选填：上线前已收到的该订单货款合计。导入时登记为一笔期初回款，按付款计划的期次依次核销，未到付款计划的部分"
                     "（订单尚未确认）留作客户预收余额，由财务核销。不能超过订单总金额。")),
            ("物流方式 / 承运商 / 物流单号 / 预计送达时间", _("已发货、已交付的订单选填：导入时按此建立一个包含全部货物的发货批次。"
                                                "物流方式可填：快递、零担、整车运输、自提、其他（留空为其他）。预计送达时间留空按交付日期；"
                                                "预计送达时间在导入当天之后的，系统在送达前一天发送物流预告。")),
            (_("同一订单的多行"), _("当前阶段、客户、联系人、联系方式、日期、付款方式、交付地址、销售负责人、备注、已收款和物流信息须一致。")),
            (_("各阶段导入后"), _("订单进入所填阶段，该阶段的期限（审批、确认库存、进度跟进、回访等）从导入时开始计算；不补记审批："
                            "导入的订单在时间线上记为“上线导入”，复盘中按“上线导入”统计，不计为审批通过。已发货的订单可继续验收签收；"
                            "已交付的订单视为导入时已签收，进入客户回访。")),
            (PROGRESS_SHEET, _("可选：同一文件中名为“订单跟进进度表”的工作表（表头同《订单跟进进度表》），每行一条进度记录，"
                               "订单编号须为本文件中的订单；负责人填写用户名或姓名（可留空）。")),
            (FEEDBACK_SHEETS[0], _("可选：同一文件中名为“客户反馈与售后记录表”的工作表（表头同该表），每行一条客户反馈，订单编号须为本文件中的订单，"
                                   "反馈类型填写：%(types)s。未填处理措施的为待响应（24小时响应期限从导入时开始），填了处理措施的为已响应，"
                                   "填了处理结果的待客户确认，另填了跟进日期的视为客户已确认并关闭；处理负责人须为售后工程师或客户经理。") % {
                                       "types": "、".join(str(label) for label in TicketType.labels)}),
        ],
        further=((PROGRESS_SHEET, REGISTER_2, [["202410-017", "生产备货", "", date(2024, 11, 20), "", "已排产，物料到齐", "",
                                                "", "11月20日完工"]]),
                 (FEEDBACK_SHEETS[0], REGISTER_3, [["202410-018", "科技有限公司", "安装指导", "需要上门安装",
                                                    date(2024, 11, 12), "", "", "", "", ""]])),
        text_columns=("订单编号", USCC, "联系方式", "规格型号", "物流单号"),
        date_columns=("下单日期", "交付日期", "预计送达时间"), money_columns=("单价(元)", "总金额(元)", PAID))


# --- reading -----------------------------------------------------------------------------------------------------

@dataclass
class Line:
    row: int
    product: Product | None
    quantity: Decimal | None
    unit_price: Decimal | None
    given_total: Decimal | None
    amount: Decimal | None  # 数量 × 单价


@dataclass
class Incoming:
    """One order of the sheet, as it will be written."""
    key: str  # the sheet's 订单编号 (or the row, when empty)
    first_row: int
    stage: str = ""
    customer: Customer | None = None
    owner: User | None = None
    number: tuple | None = None  # (number, month, serial)
    fields: dict = field(default_factory=dict)
    lines: list = field(default_factory=list)
    paid: Decimal | None = None
    logistics: dict = field(default_factory=dict)
    progress: list = field(default_factory=list)  # register 2's records of it
    feedback: list = field(default_factory=list)  # register 3's: the customer's feedback on it

    @property
    def rows(self) -> list[int]:
        return [line.row for line in self.lines]


def _number(text: str) -> tuple | None:
    """(number, month, serial) of a formal number as orderloop writes it, or None."""
    match = NUMBER.match(text)
    if not match:
        return None
    year, month, serial = int(match.group(1)), int(match.group(2)), int(match.group(3))
    if not 1 <= month <= 12 or serial < 1 or year < 2000:
        return None
    formal = format_order_number(f"{year:04d}{month:02d}", serial)
    return (formal, f"{year:04d}{month:02d}", serial) if formal == text else None


class _Reader:
    """Reads the rows of one file against the data read once: customers, products, users, numbers taken."""

    def __init__(self, table, problems):
        self.table, self.problems = table, problems
        self.today = clock.today()
        customers = list(Customer.objects.select_related("owner").order_by("pk"))
        self.by_uscc = {c.uscc.upper(): c for c in customers if c.uscc}
        self.by_name: dict[str, list] = {}
        for customer in customers:
            self.by_name.setdefault(customer.name, []).append(customer)
        self.products = {p.model: p for p in Product.objects.all()}
        active = list(User.objects.filter(is_active=True).prefetch_related("groups"))
        named: dict[str, list] = {}
        for user in active:
            if user.display_name:
                named.setdefault(user.display_name, []).append(user)
        self.users = {name: users[0] for name, users in named.items() if len(users) == 1}
        self.users.update({u.username: u for u in active})
        self.shared_names = {name for name, users in named.items() if len(users) > 1} - self.users.keys()
        self.stages = _stages()

    def bad(self, row: int, column: str, message: str) -> None:
        self.problems.add(row, column, message)

    def person(self, name: str) -> tuple[User | None, str]:
        """The active user of that user name or name, or why there is none."""
        if name in self.shared_names:
            return None, _("有多个用户名为「%(name)s」，请填写用户名") % {"name": name}
        user = self.users.get(name)
        return user, "" if user is not None else _("用户不存在：%(name)s") % {"name": name}

    def text(self, row, column) -> str:
        return self.table.text(row, column)

    def money(self, number, row, column, *, positive=False) -> Decimal | None:
        try:
            value = cell_decimal(self.table.value(row, column))
        except ValueError:
            self.bad(number, column, _("请输入数字"))
            return None
        if value is None:
            return None
        if positive and value <= 0:
            self.bad(number, column, _("必须大于 0"))
        elif value < 0:
            self.bad(number, column, _("不能小于 0"))
        elif column != "数量" and value != value.quantize(PLACES):
            self.bad(number, column, _("最多两位小数"))
        elif column == "数量" and value != value.quantize(QUANTITY_PLACES):
            self.bad(number, column, _("最多三位小数"))
        elif value >= (MAX_QUANTITY if column == "数量" else MAX_AMOUNT):
            self.bad(number, column, _("数值过大"))
        else:
            return value
        return None

    def day(self, number, row, column) -> date | None:
        try:
            return cell_date(self.table.value(row, column))
        except (ValueError, TypeError):
            self.bad(number, column, _("日期格式应为 YYYY-MM-DD"))
            return None

    def customer(self, number, row) -> Customer | None:
        name, code = self.text(row, "客户名称"), self.text(row, USCC).upper()
        if code:
            problem = uscc_problem(code)
            if problem:
                self.bad(number, USCC, problem)
                return None
            if code in self.by_uscc:
                return self.by_uscc[code]
        found = self.by_name.get(name, [])
        if len(found) == 1 and code and found[0].uscc and found[0].uscc.upper() != code:
            self.bad(number, USCC, _("与系统中客户「%(name)s」的统一社会信用代码 %(there)s 不符") % {
                "name": name, "there": found[0].uscc})
            return None
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            self.bad(number, "客户名称", _("系统中有 %(n)s 个客户名为「%(name)s」：请填写统一社会信用代码") % {"n": len(found), "name": name})
        elif code:
            self.bad(number, USCC, _("客户不存在：%(code)s（客户名称「%(name)s」也未找到）") % {"code": code, "name": name})
        elif name:
            self.bad(number, "客户名称", _("客户不存在：%(name)s（请先导入客户）") % {"name": name})
        return None

    def owner(self, number, row, customer) -> User | None:
        name = self.text(row, "销售负责人")
        if not name:
            if customer is not None and customer.owner is None:
                self.bad(number, "销售负责人", _("客户「%(name)s」没有客户经理：请填写销售负责人") % {"name": customer.name})
            return customer.owner if customer is not None else None
        user, problem = self.person(name)
        if user is None:
            self.bad(number, "销售负责人", problem)
        elif not user.roles & ORDER_OWNERS:
            self.bad(number, "销售负责人", _("%(name)s 不是销售助理或客户经理，不能作为销售负责人") % {"name": name})
        else:
            return user
        return None

    def stage(self, number, row) -> str:
        text = self.text(row, STAGE)
        if not text:
            self.bad(number, STAGE, _("必填"))
            return ""
        if text in self.stages:
            return self.stages[text]
        finished = {str(OrderStatus(s).label): s for s in FINISHED} | {s.value: s for s in FINISHED}
        allowed = "、".join(str(OrderStatus(s).label) for s in IMPORTABLE)
        if text in finished:
            self.bad(number, STAGE, _("「%(stage)s」的订单已结束，不是在途订单，不能导入（可导入的阶段：%(allowed)s）") % {
                "stage": OrderStatus(finished[text]).label, "allowed": allowed})
        else:
            self.bad(number, STAGE, _("无法识别的阶段：%(stage)s（可填：%(allowed)s）") % {"stage": text, "allowed": allowed})
        return ""

    def line(self, number, row) -> Line:
        model, name = self.text(row, "规格型号"), self.text(row, "产品/服务名称")
        product = self.products.get(model)
        if model and product is None:
            self.bad(number, "规格型号", _("产品不存在：%(model)s（请先导入产品）") % {"model": model})
        elif product is not None and name and name != product.name:
            self.bad(number, "产品/服务名称", _("与规格型号 %(model)s 的产品名称「%(name)s」不符") % {
                "model": model, "name": product.name})
        quantity = self.money(number, row, "数量", positive=True)
        price = self.money(number, row, "单价(元)")
        total = self.money(number, row, "总金额(元)")
        if price is None and product is not None and not self.text(row, "单价(元)"):
            price = product.list_price
        amount = line_amount(quantity, price) if quantity is not None and price is not None else None
        if amount is not None and amount >= MAX_AMOUNT:
            self.bad(number, "数量", _("金额过大：数量 × 单价 = %(amount)s") % {"amount": amount})
            amount = None
        return Line(number, product, quantity, price, total, amount)


def _check_total(reader: _Reader, order: Incoming) -> None:
    """总金额(元), where filled in: the order's total (as register 1 exports it) or the row's own amount."""
    amounts = [line.amount for line in order.lines]
    total = sum(amounts) if all(a is not None for a in amounts) else None
    for line in order.lines:
        if line.given_total is None or line.amount is None or line.given_total in (line.amount, total):
            continue
        if total is None or len(order.lines) == 1:
            reader.bad(line.row, "总金额(元)", _("应等于 数量 × 单价 = %(amount)s") % {"amount": line.amount})
        else:
            reader.bad(line.row, "总金额(元)", _("应等于订单总金额 %(total)s（本行 数量 × 单价 = %(amount)s）") % {
                "total": total, "amount": line.amount})


def _head(reader: _Reader, order: Incoming, number: int, row) -> None:
    """The order's own fields, read from its first row."""
    text = lambda column: reader.text(row, column)  # noqa: E731
    order.stage = reader.stage(number, row)
    order.customer = reader.customer(number, row)
    order.owner = reader.owner(number, row, order.customer)
    phone = text("联系方式")
    if phone:
        try:
            phone = phone_e164(phone)
        except ValueError as exc:
            reader.bad(number, "联系方式", str(exc))
    order_date = reader.day(number, row, "下单日期") or reader.today
    requested = reader.day(number, row, "交付日期")
    if order_date > reader.today:
        reader.bad(number, "下单日期", _("下单日期晚于今天"))
    if requested and requested < order_date:
        reader.bad(number, "交付日期", _("交付日期早于下单日期"))
    for column, limit in (("联系人", 50), ("付款方式", 200), ("交付地址", 300), ("备注", 2000), ("承运商", 100),
                          ("物流单号", 100)):
        if len(text(column)) > limit:
            reader.bad(number, column, _("最多 %(n)s 个字") % {"n": limit})
    order.fields = {"contact_name": text("联系人"), "contact_phone": phone, "order_date": order_date,
                    "payment_terms": text("付款方式"), "delivery_address": text("交付地址"), "requested_date": requested,
                    "remarks": text("备注")}
    order.paid = reader.money(number, row, PAID)
    if order.stage:
        if order.stage in UNNUMBERED:
            pass
        elif (formal := _number(order.key)) is None:
            reader.bad(number, "订单编号", _("「%(stage)s」的订单须填写正式订单编号，格式 YYYYMM-NNN（如 202410-017）") % {
                "stage": OrderStatus(order.stage).label})
        elif formal[1] > reader.today.strftime("%Y%m"):
            reader.bad(number, "订单编号", _("编号的月份 %(month)s 晚于本月") % {"month": formal[1]})
        else:
            order.number = formal
    if order.stage in SHIPPED:
        methods = {str(label): value for value, label in ShippingMethod.choices}
        method = text("物流方式")
        if method and method not in methods:
            reader.bad(number, "物流方式", _("可填：%(methods)s") % {"methods": "、".join(methods)})
        eta = reader.day(number, row, "预计送达时间") or requested or reader.today
        if eta < order_date:
            reader.bad(number, "预计送达时间", _("预计送达时间早于下单日期"))
        order.logistics = {"method": methods.get(method, ShippingMethod.OTHER), "carrier": text("承运商"),
                           "tracking_number": text("物流单号"), "eta": eta}
    elif any(text(column) for column in LOGISTICS):
        reader.bad(number, LOGISTICS[0] if text(LOGISTICS[0]) else next(c for c in LOGISTICS if text(c)),
                   _("只有已发货、已交付的订单填写物流信息"))


def _further_sheet(reader: _Reader, names: tuple, known: list, required: tuple):
    """A further sheet of the workbook (the first of ``names`` it has): (its name, its rows below the header, a
    cell reader, a problem writer naming the sheet, row and column), or None when there is none or it lacks a
    required column (then a problem of its header)."""
    rows, name = [], ""
    if reader.table.filename.lower().endswith(".xlsx"):
        for name in names:
            try:
                rows = sheet_rows(reader.table.content, name)
            except UNREADABLE:
                rows = []
            if rows:
                break
    if not rows:
        return None
    header = [cell_text(v) for v in rows[0]]
    columns = {title: index for index, title in enumerate(header) if title in known}

    def bad(number, column, message):
        letter = get_column_letter(columns[column] + 1) if column in columns else ""
        place = _("《%(sheet)s》第%(row)s行 %(col)s") % {"sheet": name, "row": number, "col": column}
        reader.problems.errors.setdefault(place + (f"({letter})" if letter else ""), []).append(message)

    def value(row, title):
        return row[columns[title]] if title in columns and columns[title] < len(row) else None

    missing = [title for title in required if title not in columns]
    if missing:
        bad(1, _("表头"), _("缺少必填列：%(names)s") % {"names": "、".join(missing)})
        return None
    body = [(number, row) for number, row in enumerate(rows[1:], 2) if any(cell_text(v) for v in row)]
    return name, body, value, bad


def _progress(reader: _Reader, orders: dict[str, Incoming]) -> None:
    """Register 2's sheet, when the workbook has one: each row a progress record of an order of this file."""
    sheet = _further_sheet(reader, (PROGRESS_SHEET,), REGISTER_2, ("订单编号", "当前阶段", "跟进记录"))
    if sheet is None:
        return
    _name, body, value, bad = sheet
    cell = lambda row, title: cell_text(value(row, title))  # noqa: E731
    for number, row in body:
        key, stage, record = cell(row, "订单编号"), cell(row, "当前阶段"), cell(row, "跟进记录")
        order = orders.get(key)
        if order is None:
            bad(number, "订单编号", _("不是本文件中的订单：%(number)s") % {"number": key})
            continue
        for name, text, limit in (("当前阶段", stage, 50), ("跟进记录", record, 2000)):
            if not text:
                bad(number, name, _("必填"))
            elif len(text) > limit:
                bad(number, name, _("最多 %(n)s 个字") % {"n": limit})
        dates = {}
        for name in ("计划完成时间", "实际完成时间"):
            try:
                dates[name] = cell_date(value(row, name))
            except (ValueError, TypeError):
                bad(number, name, _("日期格式应为 YYYY-MM-DD"))
                dates[name] = None
        if dates["实际完成时间"] and dates["实际完成时间"] > reader.today:
            bad(number, "实际完成时间", _("实际完成时间不能晚于今天"))
        person = cell(row, "负责人")
        user, problem = reader.person(person) if person else (None, "")
        if person and user is None:
            bad(number, "负责人", problem)
        order.progress.append((user, {
            "stage": stage, "owner": person, "planned_date": dates["计划完成时间"] and dates["计划完成时间"].isoformat(),
            "actual_date": dates["实际完成时间"] and dates["实际完成时间"].isoformat(), "record": record,
            "problem": cell(row, "存在问题")[:2000], "measure": cell(row, "解决措施")[:2000],
            "next_step": cell(row, "下一步计划")[:2000], "imported": True, "sheet_row": number}))


def _feedback(reader: _Reader, orders: dict[str, Incoming]) -> None:
    """Register 3's sheet, when the workbook has one: each row a customer's feedback on an order of this file, at
    the point its handling has reached — 待响应 with nothing done yet, 已响应 with a 处理措施, 待客户确认 with a
    处理结果, 已关闭 with a result the customer confirmed on a 跟进日期."""
    sheet = _further_sheet(reader, FEEDBACK_SHEETS, REGISTER_3, ("订单编号", "反馈类型", "反馈内容"))
    if sheet is None:
        return
    _name, body, value, bad = sheet
    cell = lambda row, title: cell_text(value(row, title))  # noqa: E731
    types = {str(label): code for code, label in TicketType.choices} | {code: code for code in TicketType.values}
    for number, row in body:
        key = cell(row, "订单编号")
        order = orders.get(key)
        if order is None:
            bad(number, "订单编号", _("不是本文件中的订单：%(number)s") % {"number": key})
            continue
        customer = cell(row, "客户名称")
        if customer and order.customer is not None and customer != order.customer.name:
            bad(number, "客户名称", _("与订单的客户「%(name)s」不符") % {"name": order.customer.name})
        kind = types.get(cell(row, "反馈类型"))
        if kind is None:
            bad(number, "反馈类型", _("无法识别的反馈类型：%(type)s（可填：%(types)s）") % {
                "type": cell(row, "反馈类型"), "types": "、".join(str(label) for label in TicketType.labels)})
        texts = {title: cell(row, title) for title in ("反馈内容", "处理措施", "处理结果")}
        if not texts["反馈内容"]:
            bad(number, "反馈内容", _("必填"))
        for title, text in texts.items():
            if len(text) > 2000:
                bad(number, title, _("最多 %(n)s 个字") % {"n": 2000})
        days = {}
        for title in ("反馈时间", "跟进日期"):
            try:
                days[title] = cell_date(value(row, title))
            except (ValueError, TypeError):
                bad(number, title, _("日期格式应为 YYYY-MM-DD"))
                days[title] = None
            if days[title] and days[title] > reader.today:
                bad(number, title, _("不能晚于今天"))
        score = cell(row, SATISFACTION)
        if score and score not in {"1", "2", "3", "4", "5"}:
            bad(number, SATISFACTION, _("请填写 1-5 分"))
        closed = bool(days["跟进日期"] and texts["处理结果"])
        if days["跟进日期"] and not texts["处理结果"]:
            bad(number, "跟进日期", _("有跟进日期的反馈须填写处理结果"))
        person = cell(row, "处理负责人")
        assignee, problem = reader.person(person) if person else (None, "")
        if person and assignee is None:
            bad(number, "处理负责人", problem)
        elif assignee is not None and not assignee.roles & TICKET_HANDLERS:
            bad(number, "处理负责人", _("%(name)s 不能处理售后问题（须为售后工程师或客户经理）") % {"name": person})
        state = (TicketState.CLOSED if closed else TicketState.RESOLVED if texts["处理结果"] else
                 TicketState.RESPONDED if texts["处理措施"] else TicketState.OPEN)
        order.feedback.append({"ticket_type": kind, "description": texts["反馈内容"], "state": state,
                               "assignee": assignee, "opened_on": days["反馈时间"], "response_note": texts["处理措施"],
                               "result": texts["处理结果"], "followed_up_on": days["跟进日期"] if closed else None,
                               "satisfaction": int(score) if score and closed else None, "row": number})


def preview(actor, table, problems) -> Preview:
    reader = _Reader(table, problems)
    orders: dict[str, Incoming] = {}
    firsts: dict[str, list] = {}
    for number, row in table.rows:
        for column in ("客户名称", "规格型号", "数量", STAGE):
            if not table.text(row, column):
                problems.add(number, column, _("必填"))
        key = table.text(row, "订单编号") or f"__row{number}"
        order = orders.get(key)
        if order is None:
            order = orders[key] = Incoming(key=key, first_row=number)
            firsts[key] = row
            _head(reader, order, number, row)
        else:
            for column in HEADER:
                if table.text(row, column) != table.text(firsts[key], column):
                    problems.add(number, column, _("与同一订单第%(row)s行不一致") % {"row": order.first_row})
        order.lines.append(reader.line(number, row))
    numbers = {o.number[0]: o for o in orders.values() if o.number}
    for taken in SalesOrder.objects.filter(number__in=list(numbers)).values_list("number", flat=True):
        problems.add(numbers[taken].first_row, "订单编号", _("订单编号 %(number)s 已在系统中使用") % {"number": taken})
    for order in orders.values():
        _check_total(reader, order)
        total = sum((line.amount or 0 for line in order.lines), Decimal("0.00"))
        if total >= MAX_AMOUNT:
            problems.add(order.first_row, "总金额(元)", _("订单总金额过大：%(total)s") % {"total": total})
        if order.paid and order.paid > total:
            problems.add(order.first_row, PAID, _("超过订单总金额 %(total)s") % {"total": total})
    _progress(reader, orders)
    _feedback(reader, orders)
    result = Preview(items=list(orders.values()))
    for order in orders.values():
        label = order.number[0] if order.number else (order.key if not order.key.startswith("__row") else "")
        result.create.append(" ".join(filter(None, [
            _("第%(row)s行") % {"row": order.first_row}, label, order.customer.name if order.customer else "",
            str(OrderStatus(order.stage).label) if order.stage else ""])))
    counts = {}
    for order in orders.values():
        if order.stage:
            counts[order.stage] = counts.get(order.stage, 0) + 1
    if counts:
        result.notes.append(_("按阶段：%(counts)s") % {"counts": "，".join(
            f"{OrderStatus(s).label} {counts[s]}" for s in IMPORTABLE if s in counts)})
    progress = sum(len(o.progress) for o in orders.values())
    if progress:
        result.notes.append(_("《订单跟进进度表》进度记录 %(n)s 条") % {"n": progress})
    feedback = sum(len(o.feedback) for o in orders.values())
    if feedback:
        result.notes.append(_("《客户反馈与售后记录表》客户反馈 %(n)s 条") % {"n": feedback})
    return result


# --- writing -----------------------------------------------------------------------------------------------------

def _counters_raise(numbers: list[tuple]) -> None:
    """Each month's counter at least the highest serial imported, so that the month's next order takes the next
    free number (core.numbering)."""
    highest: dict[str, int] = {}
    for _number_text, month, serial in numbers:
        highest[month] = max(highest.get(month, 0), serial)
    for month, serial in sorted(highest.items()):
        counter_raise(month, serial)


def write(actor, preview: Preview, run) -> None:
    now = clock.now()
    today = clock.today()
    incoming: list[Incoming] = preview.items
    orders, lines = [], []
    for item in incoming:
        number, month, serial = item.number or (None, None, None)
        order = SalesOrder(
            provisional_ref=new_provisional_ref(), number=number, number_month=month, number_seq=serial,
            status=item.stage, customer=item.customer, channel=Channel.IMPORT, owner=item.owner, entered_by=actor,
            created_at=now, updated_at=now, imported_at=now, **item.fields)
        if item.stage in AGREED:
            order.promised_date = order.requested_date
        if item.stage == S.DELIVERED:
            order.delivered_at = now
        order_lines = [build_line(order=order, position=index, product=line.product, quantity=line.quantity,
                                  unit_price=line.unit_price) for index, line in enumerate(item.lines, 1)]
        for line in order_lines:
            if item.stage in AGREED:
                line.agreed_date = order.requested_date
        order.total_amount = sum((line.amount for line in order_lines), Decimal("0.00"))
        orders.append(order)
        lines.append(order_lines)
    SalesOrder.objects.bulk_create(orders, batch_size=500)
    OrderLine.objects.bulk_create([line for group in lines for line in group], batch_size=1000)  # each takes its order's id
    for order, order_lines in zip(orders, lines):
        keep_lines(order, order_lines)  # the plan, the deadlines and the audit read them from here
    _counters_raise([item.number for item in incoming if item.number])
    shipments = _consignments(orders, incoming, lines, now)
    payloads = []
    for order, item in zip(orders, incoming):
        payload = {"file": run.filename, "import_run": run.pk, "imported_status": order.status, "sheet_number":
                   "" if item.key.startswith("__row") else item.key, "rows": item.rows,
                   "total_amount": str(order.total_amount)}
        if order.status in PLANNED:
            payload["payment_plan"] = plan_sync(order, now=now)
        if order.pk in shipments:
            shipment = shipments[order.pk]
            payload.update(shipment_id=shipment.pk, batch=shipment.position, eta=shipment.eta.isoformat())
        payloads.append(payload)
    events_record(EventType.IMPORTED, list(zip(orders, payloads)), actor=actor, at=now, from_status="")
    events_record(EventType.PROGRESS_TRACKED, [  # register 2's records, after the import on the timeline
        (order, record, user) for order, item in zip(orders, incoming) for user, record in item.progress], actor=None, at=now)
    calendar = BusinessCalendar.load()
    for order, payload in zip(orders, payloads):
        shipment = shipments.get(order.pk)
        notice = shipment is not None and order.status == S.SHIPPED and shipment.eta > today
        state_entered(order, source="", event_payload=payload, now=now, calendar=calendar,
                      starts=frozenset({TimerKind.LOGISTICS_NOTICE}) if notice else frozenset())
    for order, item in zip(orders, incoming):
        if item.paid:
            opening_receipt_record(order=order, amount=item.paid, received_on=today, actor=actor,
                                   remark=_("上线导入期初回款：订单 %(ref)s，文件 %(file)s（导入记录 %(run)s）") % {
                                       "ref": order.ref, "file": run.filename, "run": run.pk})
    _tickets_write(orders, incoming, actor=actor, now=now)
    AuditEntry.objects.bulk_create([
        audit_entry(actor=actor, obj=order, operation="imported", object_type="orders.salesorder",
                    changes=diff({}, order_state(order))) for order in orders], batch_size=500)


def _tickets_write(orders, incoming, *, actor, now) -> None:
    """Register 3's feedback as tickets at the point their handling reached; one still waiting for its first
    response has its 24-hour deadline from the import, as a ticket opened now would."""
    tickets = []
    for order, item in zip(orders, incoming):
        for entry in item.feedback:
            state = entry["state"]
            opened = datetime.combine(entry["opened_on"], time(9, 0), tzinfo=SHANGHAI) if entry["opened_on"] else now
            followed = (datetime.combine(entry["followed_up_on"], time(9, 0), tzinfo=SHANGHAI)
                        if entry["followed_up_on"] else None)
            tickets.append(Ticket(
                customer=order.customer, order=order, ticket_type=entry["ticket_type"], description=entry["description"],
                state=state, opened_at=min(opened, now), opened_by=actor, assignee=entry["assignee"],
                first_response_at=now if state != TicketState.OPEN else None, response_note=entry["response_note"],
                solution=entry["response_note"], result=entry["result"],
                resolved_at=now if state in (TicketState.RESOLVED, TicketState.CLOSED) else None,
                followed_up_at=followed, customer_confirmed=state == TicketState.CLOSED,
                customer_satisfaction=entry["satisfaction"], closed_at=now if state == TicketState.CLOSED else None))
    Ticket.objects.bulk_create(tickets, batch_size=500)
    for ticket in tickets:
        if ticket.state == TicketState.OPEN:
            timer_start(order=ticket.order, ticket=ticket, kind=TimerKind.AFTERSALES_RESPONSE, now=now,
                        due=now + timedelta(hours=RESPONSE_HOURS))


def _consignments(orders, incoming, lines, now) -> dict[int, Shipment]:
    """At 已发货 and 已交付: one consignment of every line, so that acceptance and receipt (or the follow-up) go on
    in orderloop; at 已交付 accepted and signed for at the import (by the contact named on the order)."""
    made = {}
    for order, item in zip(orders, incoming):
        if order.status not in SHIPPED:
            continue
        delivered = order.status == S.DELIVERED
        made[order.pk] = Shipment(
            order=order, position=1, shipped_at=now, shipped_by=None, **item.logistics,
            accepted_at=now if delivered else None, received_at=now if delivered else None,
            received_by_name=order.contact_name if delivered else "")
    if not made:
        return made
    Shipment.objects.bulk_create(list(made.values()), batch_size=500)
    ShipmentLine.objects.bulk_create([
        ShipmentLine(shipment=made[order.pk], order_line=line, quantity=line.quantity)
        for order, order_lines in zip(orders, lines) if order.pk in made for line in order_lines], batch_size=1000)
    return made
