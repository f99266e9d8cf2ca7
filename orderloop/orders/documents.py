"""PDF documents of an order. ReportLab's built-in Chinese font (STSong-Light, a CID font
every PDF reader has) means no font files to ship and text that can be searched and copied."""
import io

from django.utils import timezone
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from orderloop.core.money import money_text, rmb_capitals
from orderloop.core.phones import phone_display

FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))
TITLE = ParagraphStyle("title", fontName=FONT, fontSize=18, leading=24, alignment=1, spaceAfter=6 * mm)
TEXT = ParagraphStyle("text", fontName=FONT, fontSize=10.5, leading=15)
CELL = ParagraphStyle("cell", fontName=FONT, fontSize=9.5, leading=12)


def _table(rows, widths, header=True):
    table = Table([[Paragraph(str(cell), CELL) for cell in row] for row in rows], colWidths=widths, repeatRows=1 if header else 0)
    style = [("GRID", (0, 0), (-1, -1), 0.5, colors.grey), ("VALIGN", (0, 0), (-1, -1), "MIDDLE")]
    if header:
        style.append(("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#DDEBF7")))
    table.setStyle(TableStyle(style))
    return table


def order_confirmation_pdf(order) -> bytes:
    """《订单确认单》: the order as approved, with the total in capitals."""
    buffer = io.BytesIO()
    document = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm, topMargin=18 * mm,
                                 bottomMargin=18 * mm, title=f"订单确认单 {order.ref}", author="orderloop")
    lines = list(order.lines.all())
    approvals = list(order.events.filter(type="approved").select_related("actor").order_by("occurred_at", "id"))
    facts = [
        ["订单编号", order.ref, "下单日期", order.order_date.isoformat()],
        ["客户名称", order.customer.name, "统一社会信用代码", order.customer.uscc or "—"],
        ["联系人", order.contact_name or "—", "联系方式", phone_display(order.contact_phone) or "—"],
        ["付款方式", order.payment_terms or "—", "交付日期", (order.promised_date or order.requested_date or "—").__str__()],
        ["交付地址", order.delivery_address or "—", "销售负责人", str(order.owner)],
    ]
    items = [["序号", "产品/服务名称", "规格型号", "数量", "单位", "单价(元)", "金额(元)"]]
    items += [[line.position, line.product_name, line.model, f"{line.quantity.normalize():f}", line.unit,
               money_text(line.unit_price), money_text(line.amount)] for line in lines]
    items.append(["", "合计", "", "", "", "", money_text(order.total_amount)])
    story = [
        Paragraph("订单确认单", TITLE),
        _table(facts, [28 * mm, 62 * mm, 32 * mm, 52 * mm], header=False),
        Spacer(1, 5 * mm),
        _table(items, [12 * mm, 48 * mm, 28 * mm, 18 * mm, 14 * mm, 26 * mm, 28 * mm]),
        Spacer(1, 4 * mm),
        Paragraph(f"总金额（大写）：{rmb_capitals(order.total_amount)}　　（小写）：{money_text(order.total_amount)}", TEXT),
    ]
    if order.special_requirements:
        story.append(Paragraph(f"特殊需求：{order.special_requirements}", TEXT))
    if order.special_terms:
        story.append(Paragraph(f"特殊条款：{order.special_terms}", TEXT))
    story.append(Spacer(1, 6 * mm))
    for event in approvals:
        level = "销售总监" if event.payload.get("level") == "director" else "销售经理"
        when = timezone.localtime(event.occurred_at).strftime("%Y-%m-%d %H:%M")
        story.append(Paragraph(f"{level}审批：{event.actor}　{when}　意见：{event.payload.get('comment', '')}", TEXT))
    story.append(Spacer(1, 10 * mm))
    story.append(Paragraph("客户确认（签字/盖章）：____________________　　日期：____________", TEXT))
    document.build(story)
    return buffer.getvalue()
