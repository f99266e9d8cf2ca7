"""Spreadsheets as customers and sales staff fill them in: register 1 (销售订单基本信息表), one row per line."""
import io
from datetime import date

from openpyxl import Workbook

from orderloop.orders.registers import REGISTER_1


def workbook(rows, header=REGISTER_1) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def row(number="A-1", customer="科技有限公司", model="S-001", quantity=10, price=5000, amount=None, phone="13800001111",
        order_date=date(2026, 3, 2), requested=date(2026, 3, 20)):
    return [number, customer, "李*", phone, order_date, "服务器A型", model, quantity, price, amount, "30%预付,余款到付",
            "北京市海淀区路1号", requested, "", "需定制logo"]
