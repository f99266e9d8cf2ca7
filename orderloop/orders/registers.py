"""The seed's registers: their exact headers (表1 销售订单基本信息表 …)."""

REGISTER_1 = ["订单编号", "客户名称", "联系人", "联系方式", "下单日期", "产品/服务名称", "规格型号", "数量", "单价(元)",
              "总金额(元)", "付款方式", "交付地址", "交付日期", "销售负责人", "备注"]
REGISTER_2 = ["订单编号", "当前阶段", "负责人", "计划完成时间", "实际完成时间", "跟进记录", "存在问题", "解决措施", "下一步计划"]


def progress_rows(orders_queryset):
    """Register 2 (订单跟进进度表): one row per progress record of the given orders."""
    from orderloop.orders.models import OrderEvent

    events = (OrderEvent.objects.filter(type="progress_tracked", order__in=orders_queryset.values("pk"))
              .select_related("order", "actor").order_by("occurred_at", "id"))
    for event in events:
        payload = event.payload
        yield [
            event.order.ref, payload.get("stage", ""), str(event.actor) if event.actor else "",
            payload.get("planned_date") or "", payload.get("actual_date") or "", payload.get("record", ""),
            payload.get("problem", ""), payload.get("measure", ""), payload.get("next_step", ""),
        ]


REGISTER_3 = ["订单编号", "客户名称", "反馈类型", "反馈内容", "反馈时间", "处理负责人", "处理措施", "处理结果",
              "客户满意度评分(1-5分)", "跟进日期"]


def feedback_rows(orders_queryset):
    """Register 3 (客户反馈与售后记录表): one row per feedback of the given orders, oldest first."""
    from orderloop.aftersales.models import Ticket
    from orderloop.core.calendar import SHANGHAI

    def day(moment):
        return moment.astimezone(SHANGHAI).date().isoformat() if moment else ""

    tickets = (Ticket.objects.filter(order__in=orders_queryset.values("pk"))
               .select_related("order", "order__customer", "assignee").order_by("opened_at", "id"))
    for ticket in tickets:
        yield [
            ticket.order.ref, ticket.order.customer.name, ticket.get_ticket_type_display(), ticket.description,
            day(ticket.opened_at), str(ticket.assignee) if ticket.assignee else "", ticket.solution, ticket.result,
            ticket.customer_satisfaction or "", day(ticket.followed_up_at),
        ]


LOGISTICS_TABLE = ["订单编号", "客户名称", "发货批次", "货物", "物流方式", "承运商", "物流单号", "发货时间", "预计送达时间",
                   "物流预告时间", "签收时间", "签收人"]


def logistics_rows(orders_queryset):
    """《物流跟踪表》: one row per consignment of the given orders."""
    from django.db.models import Prefetch

    from orderloop.core.calendar import SHANGHAI
    from orderloop.orders.models import Shipment, ShipmentLine

    def when(moment):
        return moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M") if moment else ""

    shipments = (Shipment.objects.filter(order__in=orders_queryset.values("pk"))
                 .select_related("order", "order__customer")
                 .prefetch_related(Prefetch("lines", queryset=ShipmentLine.objects.select_related("order_line")))
                 .order_by("shipped_at", "id"))
    for shipment in shipments:
        goods = "；".join(f"{item.order_line.product_name} {item.order_line.model} × {item.quantity.normalize():f}"
                         for item in shipment.lines.all())
        yield [
            shipment.order.ref, shipment.order.customer.name, shipment.position, goods, shipment.get_method_display(),
            shipment.carrier, shipment.tracking_number, when(shipment.shipped_at), shipment.eta.isoformat(),
            when(shipment.notice_sent_at), when(shipment.received_at), shipment.received_by_name,
        ]


def xlsx_bytes(title: str, headers: list[str], rows, *, text_columns=(0,)) -> bytes:
    """A register as .xlsx: bold frozen header, filter, widths for Chinese text, codes kept as text."""
    import io
    import unicodedata

    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    sheet.title = title[:31]
    sheet.append(headers)
    widths = [sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in h) + 2 for h in headers]
    for row in rows:
        sheet.append(row)
        for index, value in enumerate(row):
            width = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in str(value)) + 2
            widths[index] = min(60, max(widths[index], width))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for index in text_columns:
        for (cell,) in sheet.iter_rows(min_row=2, min_col=index + 1, max_col=index + 1):
            cell.number_format = "@"
    for index, width in enumerate(widths, 1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def csv_bytes(headers: list[str], rows) -> bytes:
    """CSV for Excel and WPS: UTF-8 with a byte order mark, or Chinese turns to 乱码."""
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headers)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8-sig")
