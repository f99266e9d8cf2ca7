"""Bulk intake from .xlsx in the layout of register 1 (销售订单基本信息表).

One row per order line; rows that share an 订单编号 form one order (that number is the
sheet's own grouping, the formal number comes when review passes). Every cell is
checked first; if any is wrong nothing is imported and each bad cell is reported by
row and column. A clean file is imported in one transaction; its orders start at 已接收.
"""
import io
import zipfile
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from pydantic import ValidationError

from orderloop.accounts.permissions import ORDER_ENTRY, ORDER_OWNERS
from orderloop.accounts.models import User
from orderloop.core.exceptions import InvalidInput, NotAllowed
from orderloop.core.dates import parse_date
from orderloop.core.phones import phone_e164
from orderloop.core.validation import pydantic_errors
from orderloop.masterdata.services import customers_visible_to
from orderloop.masterdata.models import Product
from orderloop.orders.lines import line_amount
from orderloop.orders.registers import REGISTER_1
from orderloop.orders.schemas import OrderCreate
from orderloop.orders.services import orders_receive
from orderloop.orders.sheets import MAX_COLUMNS, MAX_ROWS, UNREADABLE, sheet_rows

MAX_BYTES = 5 * 1024 * 1024
COLUMN = {name: index for index, name in enumerate(REGISTER_1)}
REQUIRED = ["客户名称", "规格型号", "数量"]
FIELD_COLUMN = {"contact_name": "联系人", "contact_phone": "联系方式", "payment_terms": "付款方式",
                "delivery_address": "交付地址", "remarks": "备注", "quantity": "数量", "unit_price": "单价(元)"}
HEADER_FIELDS = ["客户名称", "联系人", "联系方式", "下单日期", "付款方式", "交付地址", "交付日期", "销售负责人", "备注"]
INSTRUCTIONS = [
    ("订单编号", "同一订单的多行填写相同的编号（可用客户订单号）；留空则每行为一个订单。正式订单编号在初步审核通过后由系统分配。"),
    ("客户名称", "必填，须与系统中的客户名称完全一致。"),
    ("联系人 / 联系方式", "选填；联系方式须为有效的手机号或座机号。"),
    ("下单日期 / 交付日期", "日期，格式 YYYY-MM-DD；下单日期留空为导入当天；交付日期不能早于下单日期。"),
    ("产品/服务名称 / 规格型号", "规格型号必填，须与系统中的产品一致；名称可留空。"),
    ("数量", "必填，大于 0。"),
    ("单价(元)", "留空按产品标准单价。"),
    ("总金额(元)", "可留空；如填写，须等于订单总金额（各行 数量 × 单价 之和）。"),
    ("销售负责人", "用户名或姓名，须为本团队的销售助理或客户经理；留空为客户的客户经理。"),
    ("同一订单的多行", "客户名称、联系人、联系方式、日期、付款方式、交付地址、销售负责人、备注须一致。"),
    ("导入规则", "任何一个单元格有误，整个文件都不导入，并逐一列出有误的行和列。导入的订单状态为「已接收」，进入初步审核。"),
    ("文件大小", f"一个文件最多 {MAX_ROWS} 行（不含表头）、{MAX_COLUMNS} 列，5 MB；更多的订单请分成几个文件导入。"),
]


def import_template() -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "销售订单基本信息表"
    sheet.append(REGISTER_1)
    sheet.append(["202405-001", "科技有限公司", "李*", "13800001111", date(2024, 5, 10), "服务器A型", "S-001", 10, 5000,
                  50000, "30%预付,余款到付", "北京市海淀区路1号", date(2024, 5, 25), "", "需定制logo"])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
    for index, name in enumerate(REGISTER_1, 1):
        sheet.column_dimensions[get_column_letter(index)].width = max(12, len(name) * 2 + 4)
    for row in sheet.iter_rows(min_row=2):
        row[COLUMN["订单编号"]].number_format = "@"
        row[COLUMN["联系方式"]].number_format = "@"
        row[COLUMN["下单日期"]].number_format = "yyyy-mm-dd"
        row[COLUMN["交付日期"]].number_format = "yyyy-mm-dd"
    sheet.freeze_panes = "A2"
    notes = book.create_sheet("填写说明")
    notes.append(["列", "说明"])
    for item in INSTRUCTIONS:
        notes.append(list(item))
    notes.column_dimensions["A"].width = 24
    notes.column_dimensions["B"].width = 100
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@dataclass
class ImportResult:
    created: list = field(default_factory=list)
    errors: dict = field(default_factory=dict)  # "第3行 数量(H)" -> [messages]


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _date(value):
    if value in (None, ""):
        return None
    return parse_date(value)


def _decimal(value):
    if value in (None, ""):
        return None
    return Decimal(str(value).strip().replace(",", ""))


def _owner_problem(actor, owner, name: str) -> str | None:
    """Why ``owner`` may not be an imported order's 销售负责人: the order's owner sees it and takes its steps, so
    it is one of the sales staff who take orders in (ORDER_OWNERS), the importing user or one of their team."""
    if not owner.has_role(*ORDER_OWNERS):
        return _("%(name)s 不是销售助理或客户经理，不能作为销售负责人") % {"name": name}
    if owner.pk != actor.pk and (actor.team_id is None or owner.team_id != actor.team_id):
        return _("%(name)s 不在您的团队，不能作为销售负责人") % {"name": name}
    return None


def orders_import(*, actor, content: bytes, dry_run: bool = False) -> ImportResult:
    """Import the workbook's orders as ``actor``; ``dry_run``: every check and the intake itself, then rolled back
    (``result.created`` says what would have been taken in; nothing is written)."""
    if not actor.has_role(*ORDER_ENTRY):
        raise NotAllowed(_("只有销售助理或客户经理可以导入订单"))
    if len(content) > MAX_BYTES:
        raise InvalidInput(_("文件过大（最大 5 MB）"), errors={"file": [_("文件过大（最大 5 MB）")]})
    if not zipfile.is_zipfile(io.BytesIO(content)):
        raise InvalidInput(_("请上传 .xlsx 文件"), errors={"file": [_("不是有效的 .xlsx 文件")]})
    try:  # streamed, within the row, column and time limits of orders/sheets.py (a refusal names the limit)
        rows = sheet_rows(content)
    except UNREADABLE as exc:  # a damaged workbook: say so, import nothing
        raise InvalidInput(_("无法读取该 .xlsx 文件"), errors={"file": [str(exc)[:200]]}) from exc
    result = ImportResult()
    if not rows or [_text(v) for v in rows[0][: len(REGISTER_1)]] != REGISTER_1:
        result.errors[_("第1行 表头")] = [_("表头须与《销售订单基本信息表》一致：%(h)s") % {"h": "、".join(REGISTER_1)}]
        return result
    body = [(number, row) for number, row in enumerate(rows[1:], 2) if any(_text(v) for v in row)]
    customers = {c.name: c for c in customers_visible_to(actor)}
    products = {p.model: p for p in Product.objects.filter(is_active=True)}
    users = {u.username: u for u in User.objects.filter(is_active=True)}
    users.update({u.display_name: u for u in users.values() if u.display_name})

    def bad(row_number, column, message):
        key = _("第%(row)s行 %(col)s(%(letter)s)") % {
            "row": row_number, "col": column, "letter": get_column_letter(COLUMN[column] + 1)}
        result.errors.setdefault(key, []).append(message)

    groups: dict[str, list] = {}
    for row_number, row in body:
        cells = {name: (row[i] if i < len(row) else None) for name, i in COLUMN.items()}
        parsed = {"row": row_number}
        for name in REQUIRED:
            if not _text(cells[name]):
                bad(row_number, name, _("必填"))
        name = _text(cells["客户名称"])
        if name and name not in customers:
            bad(row_number, "客户名称", _("客户不存在：%(name)s") % {"name": name})
        parsed["customer"] = customers.get(name)
        model = _text(cells["规格型号"])
        if model and model not in products:
            bad(row_number, "规格型号", _("产品不存在或已停售：%(model)s") % {"model": model})
        product = products.get(model)
        parsed["product"] = product
        product_name = _text(cells["产品/服务名称"])
        if product and product_name and product_name != product.name:
            bad(row_number, "产品/服务名称", _("与规格型号 %(model)s 的产品名称「%(name)s」不符") % {
                "model": model, "name": product.name})
        for column, key in (("数量", "quantity"), ("单价(元)", "unit_price"), ("总金额(元)", "amount")):
            try:
                parsed[key] = _decimal(cells[column])
            except (InvalidOperation, ValueError):
                bad(row_number, column, _("请输入数字"))
                parsed[key] = None
        if parsed["quantity"] is not None and parsed["quantity"] <= 0:
            bad(row_number, "数量", _("必须大于 0"))
        if parsed["unit_price"] is not None and parsed["unit_price"] < 0:
            bad(row_number, "单价(元)", _("不能小于 0"))
        price = parsed["unit_price"] if parsed["unit_price"] is not None else (product.list_price if product else None)
        parsed["line_amount"] = None
        if parsed["quantity"] and price is not None and parsed["quantity"] > 0:
            parsed["line_amount"] = line_amount(parsed["quantity"], price)
        for column, key in (("下单日期", "order_date"), ("交付日期", "requested_date")):
            try:
                parsed[key] = _date(cells[column])
            except ValueError:
                bad(row_number, column, _("日期格式应为 YYYY-MM-DD"))
                parsed[key] = None
        if parsed["order_date"] and parsed["requested_date"] and parsed["requested_date"] < parsed["order_date"]:
            bad(row_number, "交付日期", _("交付日期早于下单日期"))
        phone = _text(cells["联系方式"])
        if phone:
            try:
                phone_e164(phone)
            except ValueError as exc:
                bad(row_number, "联系方式", str(exc))
        owner = _text(cells["销售负责人"])
        if owner and owner not in users:
            bad(row_number, "销售负责人", _("用户不存在：%(name)s") % {"name": owner})
        elif owner and (problem := _owner_problem(actor, users[owner], owner)):
            bad(row_number, "销售负责人", problem)
        parsed["header"] = {name: _text(cells[name]) if name not in ("下单日期", "交付日期") else parsed.get(
            "order_date" if name == "下单日期" else "requested_date") for name in HEADER_FIELDS}
        parsed["owner"] = users.get(owner)
        key = _text(cells["订单编号"]) or f"__row{row_number}"
        groups.setdefault(key, []).append(parsed)
    prepared = []
    for rows_of_order in groups.values():
        first = rows_of_order[0]
        for other in rows_of_order[1:]:
            for name in HEADER_FIELDS:
                if other["header"][name] != first["header"][name]:
                    bad(other["row"], name, _("与同一订单第%(row)s行不一致") % {"row": first["row"]})
        _check_total(rows_of_order, bad)
        if first["customer"] is None or any(r["product"] is None or r["quantity"] is None for r in rows_of_order):
            continue
        head = first["header"]
        try:
            data = OrderCreate(
                customer_id=first["customer"].pk, contact_name=head["联系人"], contact_phone=head["联系方式"],
                order_date=head["下单日期"], channel="import", payment_terms=head["付款方式"],
                delivery_address=head["交付地址"], requested_date=head["交付日期"], remarks=head["备注"],
                lines=[{"product_id": r["product"].pk, "quantity": r["quantity"], "unit_price": r["unit_price"]}
                       for r in rows_of_order],
            )
        except ValidationError as exc:
            for path, messages in pydantic_errors(exc).items():
                column = FIELD_COLUMN.get(path.split(".")[-1], "备注")
                for message in messages:
                    bad(first["row"], column, message)
            continue
        prepared.append((data, first["owner"]))
    if not body:
        result.errors[_("文件")] = [_("没有可导入的行")]
    if result.errors:
        return result
    with transaction.atomic():
        result.created = orders_receive(actor=actor, batch=prepared)
        if dry_run:
            transaction.set_rollback(True)  # and whatever was to follow the commit (notices) is dropped with it
    return result


def _check_total(rows_of_order, bad):
    """总金额(元) of a row, where filled in: the order's total (as register 1 exports it), or for an order of one
    line 数量 × 单价 — which is the same; the amount of its own line is taken too (sheets written by hand)."""
    amounts = [r["line_amount"] for r in rows_of_order]
    total = sum(amounts) if all(a is not None for a in amounts) else None
    for r in rows_of_order:
        if r["amount"] is None or r["line_amount"] is None:
            continue
        given = r["amount"].quantize(Decimal("0.01"))
        if given == r["line_amount"] or given == total:
            continue
        if total is None or len(rows_of_order) == 1:
            bad(r["row"], "总金额(元)", _("应等于 数量 × 单价 = %(amount)s") % {"amount": r["line_amount"]})
        else:
            bad(r["row"], "总金额(元)", _("应等于订单总金额 %(total)s（本行 数量 × 单价 = %(amount)s）") % {
                "total": total, "amount": r["line_amount"]})
