"""Go-live workbooks as a company fills them in: the in-flight orders' sheet (register 1's columns with 当前阶段),
and register 2's 订单跟进进度表 as a further sheet of the same file."""
import io

from openpyxl import Workbook

from orderloop.golive.orders import COLUMNS
from orderloop.orders.registers import REGISTER_2, REGISTER_3


def orders_workbook(rows: list[dict], progress: list[list] = (), header=COLUMNS, feedback: list[list] = ()) -> bytes:
    """``rows``: one dict per line, by header (a header left out is an empty cell); ``progress`` and ``feedback``:
    rows of registers 2 and 3, each on its own sheet."""
    book = Workbook()
    sheet = book.active
    sheet.title = "在途订单"
    sheet.append(list(header))
    for row in rows:
        sheet.append([row.get(name) for name in header])
    if progress:
        records = book.create_sheet("订单跟进进度表")
        records.append(REGISTER_2)
        for record in progress:
            records.append(record)
    if feedback:
        records = book.create_sheet("客户反馈与售后记录表")
        records.append(REGISTER_3)
        for record in feedback:
            records.append(record)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def order_row(number, stage, customer="科技有限公司", model="S-001", quantity=2, price=5000, **cells) -> dict:
    return {"订单编号": number, "当前阶段": stage, "客户名称": customer, "联系人": "李*", "联系方式": "13800001111",
            "下单日期": "2024-10-08", "产品/服务名称": None, "规格型号": model, "数量": quantity, "单价(元)": price,
            "付款方式": "30%预付,余款到付", "交付地址": "北京市海淀区路1号", "交付日期": "2026-12-20", **cells}
