"""PDF documents of an order, in the one embedded font of orderloop.core.pdf (Noto Sans SC, subset on embedding),
so the text is the same in every viewer and can be searched and copied."""
import io
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Paragraph, Spacer, Table, TableStyle

from orderloop.core.calendar import local_text
from orderloop.core.money import money_text, rmb_capitals
from orderloop.core.pdf import CELL, FONT, TABLE_FONT, TEXT, TITLE, document_template
from orderloop.orders.selectors import shown_phone

__all__ = ["CELL", "FONT", "TEXT", "TITLE", "order_confirmation_pdf", "receipt_pdf_bytes"]


def _table(rows, widths, header=True):
    table = Table([[Paragraph(escape(str(cell)), CELL) for cell in row] for row in rows], colWidths=widths, repeatRows=1 if header else 0)
    style = [TABLE_FONT, ("GRID", (0, 0), (-1, -1), 0.5, colors.grey), ("VALIGN", (0, 0), (-1, -1), "MIDDLE")]
    if header:
        style.append(("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#DDEBF7")))
    table.setStyle(TableStyle(style))
    return table


def _parties(order, company, user) -> Table:
    """供方 and 需方 side by side: the company's details from 系统设置 and the customer's."""
    customer = order.customer
    seller = []
    if company:
        seller = [(label, value) for label, value in (
            ("统一社会信用代码", company.uscc), ("地址", company.address), ("电话", company.phone),
            ("开户银行", company.bank_name), ("银行账号", company.bank_account)) if value]
    buyer = [(label, value) for label, value in (
        ("统一社会信用代码", customer.uscc), ("地址", customer.address or order.delivery_address),
        ("联系人", order.contact_name), ("联系方式", shown_phone(order, user))) if value]

    def column(party, name, rows):
        lines = [f"<b>{party}：{escape(name)}</b>"] + [f"{escape(label)}：{escape(str(value))}" for label, value in rows]
        return Paragraph("<br/>".join(lines), CELL)

    table = Table([[column("供方", company.name if company else "—", seller), column("需方", customer.name, buyer)]],
                  colWidths=[87 * mm, 87 * mm])
    table.setStyle(TableStyle([TABLE_FONT, ("BOX", (0, 0), (-1, -1), 0.5, colors.grey), ("LINEAFTER", (0, 0), (0, 0), 0.5, colors.grey),
                               ("VALIGN", (0, 0), (-1, -1), "TOP"), ("TOPPADDING", (0, 0), (-1, -1), 4),
                               ("BOTTOMPADDING", (0, 0), (-1, -1), 6)]))
    return table


def _signatures(order, company) -> KeepTogether:
    """供方/需方 签章: for each party its name, a line for the authorised signature, room for the seal and the date."""
    def block(title, name):
        return Paragraph("<br/>".join([
            f"<b>{title}签章</b>", f"单位名称：{escape(name)}", "授权代表（签字）：________________", "签章：", "<br/><br/>",
            "日期：______年____月____日"]), TEXT)

    table = Table([[block("供方", company.name if company else "________________"), block("需方", order.customer.name)]],
                  colWidths=[87 * mm, 87 * mm])
    table.setStyle(TableStyle([TABLE_FONT, ("BOX", (0, 0), (-1, -1), 0.5, colors.grey), ("LINEAFTER", (0, 0), (0, 0), 0.5, colors.grey),
                               ("VALIGN", (0, 0), (-1, -1), "TOP"), ("TOPPADDING", (0, 0), (-1, -1), 6),
                               ("BOTTOMPADDING", (0, 0), (-1, -1), 8), ("LEFTPADDING", (0, 0), (-1, -1), 8)]))
    return KeepTogether([Paragraph("双方确认以上订单内容无误，签字盖章后生效。", TEXT), Spacer(1, 3 * mm), table])


def order_confirmation_pdf(order, *, user, seller=None) -> bytes:
    """《订单确认单》: the order as approved, with the total in capitals, between 供方 (``seller``, the company profile
    of 系统设置) and 需方 (the customer), with both parties' 签章 blocks at the foot. ``user`` reads it under the
    field rules of the order page (orders.selectors: the phone masked for those who do not contact the customer;
    no cost or margin is printed)."""
    buffer = io.BytesIO()
    document = document_template(buffer, title=f"订单确认单 {order.ref}", author=seller.name if seller else "orderloop")
    lines = list(order.lines.all())
    approvals = list(order.events.filter(type="approved").select_related("actor").order_by("occurred_at", "id"))
    facts = [
        ["订单编号", order.ref, "下单日期", order.order_date.isoformat()],
        ["付款方式", order.payment_terms or "—", "交付日期", (order.promised_date or order.requested_date or "—").__str__()],
        ["交付地址", order.delivery_address or "—", "销售负责人", str(order.owner)],
    ]
    items = [["序号", "产品/服务名称", "规格型号", "数量", "单位", "单价(元)", "金额(元)"]]
    items += [[line.position, line.product_name, line.model, f"{line.quantity.normalize():f}", line.unit,
               money_text(line.unit_price), money_text(line.amount)] for line in lines]
    items.append(["", "合计", "", "", "", "", money_text(order.total_amount)])
    story = [
        Paragraph("订单确认单", TITLE),
        _parties(order, seller, user),
        Spacer(1, 4 * mm),
        _table(facts, [28 * mm, 62 * mm, 32 * mm, 52 * mm], header=False),
        Spacer(1, 5 * mm),
        _table(items, [12 * mm, 48 * mm, 28 * mm, 18 * mm, 14 * mm, 26 * mm, 28 * mm]),
        Spacer(1, 4 * mm),
        Paragraph(f"总金额（大写）：{rmb_capitals(order.total_amount)}　　（小写）：{money_text(order.total_amount)}", TEXT),
    ]
    if order.special_requirements:
        story.append(Paragraph(escape(f"特殊需求：{order.special_requirements}"), TEXT))
    if order.special_terms:
        story.append(Paragraph(escape(f"特殊条款：{order.special_terms}"), TEXT))
    story.append(Spacer(1, 6 * mm))
    for event in approvals:
        level = "销售总监" if event.payload.get("level") == "director" else "销售经理"
        when = local_text(event.occurred_at)
        story.append(Paragraph(escape(f"{level}审批：{event.actor}　{when}　意见：{event.payload.get('comment', '')}"), TEXT))
    story.append(Spacer(1, 8 * mm))
    story.append(_signatures(order, seller))
    document.build(story)
    return buffer.getvalue()


def receipt_pdf_bytes(shipment) -> bytes:
    """《客户签收单》 of one consignment: what was delivered, the acceptance as recorded (each item 合格 or 不合格,
    every issue with its note and photos' names), the customer's remark, and who signed for it, when and how — a
    receipt through the link as 经系统回执确认 with the IP address it came from, never an IP called an address."""
    from orderloop.orders.selectors import acceptance_items

    order = shipment.order
    buffer = io.BytesIO()
    document = document_template(buffer, title=f"客户签收单 {order.ref}")
    facts = [
        ["订单编号", order.ref, "发货批次", f"第 {shipment.position} 批"],
        ["客户名称", order.customer.name, "交付地址", order.delivery_address or "—"],
        ["物流方式", shipment.get_method_display(), "承运商 / 物流单号", f"{shipment.carrier} {shipment.tracking_number}"],
        ["发货时间", local_text(shipment.shipped_at), "预计送达时间", shipment.eta.isoformat()],
    ]
    items = [["序号", "产品/服务名称", "规格型号", "数量", "单位"]]
    items += [[item.order_line.position, item.order_line.product_name, item.order_line.model,
               f"{item.quantity.normalize():f}", item.order_line.unit]
              for item in shipment.lines.select_related("order_line")]
    checks = acceptance_items(shipment)
    issues = [check for check in checks if not check.passed]
    if shipment.receipt_via == "link":
        via = f"经系统回执确认（IP {shipment.receipt_address}）" if shipment.receipt_address else "经系统回执确认"
    else:
        via = "签字签收单（扫描件存档）"
    signed = [
        ["签收人", shipment.received_by_name, "签收时间", local_text(shipment.received_at)],
        ["签收方式", via, "验收时间", local_text(shipment.accepted_at) if shipment.accepted_at else "未记录现场验收"],
    ]
    story = [
        Paragraph("客户签收单", TITLE),
        _table(facts, [28 * mm, 60 * mm, 34 * mm, 52 * mm], header=False),
        Spacer(1, 5 * mm),
        _table(items, [14 * mm, 64 * mm, 44 * mm, 30 * mm, 22 * mm]),
        Spacer(1, 5 * mm),
    ]
    if checks:
        rows = [["验收项目", "结论", "问题说明", "照片"]]
        rows += [[check.get_item_display(), "合格" if check.passed else "不合格", check.note or "—",
                  "、".join(photo.filename for photo in check.photos) or "—"] for check in checks]
        story += [Paragraph("现场验收记录", TEXT), Spacer(1, 2 * mm),
                  _table(rows, [24 * mm, 20 * mm, 90 * mm, 40 * mm]), Spacer(1, 3 * mm)]
    if issues:
        story.append(Paragraph(escape(f"客户已收到以上货物，确认收货；验收时记录的问题（{len(issues)} 项，见上表）已转售后处理，"
                                      "签收不表示认可这些问题。"), TEXT))
    elif checks:
        story.append(Paragraph("客户已核对产品数量、规格与外观质量，验收合格，确认收货。", TEXT))
    else:
        story.append(Paragraph("客户确认收到以上货物（未记录现场验收）。", TEXT))
    story += [Spacer(1, 3 * mm), Paragraph(escape(f"客户备注：{shipment.receipt_remark or '无'}"), TEXT),
              Spacer(1, 3 * mm), _table(signed, [28 * mm, 60 * mm, 34 * mm, 52 * mm], header=False)]
    document.build(story)
    return buffer.getvalue()
