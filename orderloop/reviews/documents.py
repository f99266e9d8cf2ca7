"""The 《订单复盘报告》 as a workbook (one sheet per group of figures) and as a PDF with a bar chart of the time
per phase. Both in Chinese, like the seed's registers and the order documents."""
import io
import unicodedata
from decimal import Decimal
from xml.sax.saxutils import escape

from django.utils import translation
from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

from orderloop.core.calendar import local_text
from orderloop.orders.documents import FONT, TEXT, TITLE, _table
from orderloop.reviews.report import relabel

HEADING_STYLE = TEXT.clone("heading", fontSize=12.5, leading=18, spaceBefore=4 * mm, spaceAfter=2 * mm)


def _shown(value, suffix=""):
    return "—" if value is None else f"{value}{suffix}"


def _when(moment) -> str:
    return local_text(moment)


def _chinese(figures: dict) -> dict:
    with translation.override("zh-hans"):
        return relabel(figures)


def _state(review) -> str:
    if review is None or not review.filed_at:
        return "未提交（按当前数据计算）"
    late = "（超时提交）" if review.breached_at else ""
    return f"已提交{late}：{review.filed_by or ''} {_when(review.filed_at)}"


def summary_rows(month, review, figures) -> list[list]:
    orders, delivery, satisfaction = figures["orders"], figures["delivery"], figures["satisfaction"]
    bottleneck = figures["bottleneck"]
    return [
        ["复盘月份", month.strftime("%Y-%m")],
        ["状态", _state(review)],
        ["订单数量", orders["count"]],
        ["订单金额(元)", Decimal(orders["amount"])],
        ["已驳回订单", orders["rejected"]],
        ["已取消订单", orders["cancelled"]],
        ["交付订单数", delivery["delivered"]],
        ["准时交付", delivery["on_time"]],
        ["延期交付", delivery["late"]],
        ["无交付日期", delivery["no_date"]],
        ["交付准时率(%)", _shown(delivery["on_time_rate"])],
        ["回访评分订单数", satisfaction["rated"]],
        ["客户满意度(平均分)", _shown(satisfaction["average"])],
        ["售后问题数", figures["tickets"]["total"]],
        *_feedback_rows(figures.get("feedback")),
        ["延期风险数", figures["delay_reasons"]["total"]],
        ["瓶颈环节", f"{bottleneck['label']}（中位数 {bottleneck['median_days']} 天）" if bottleneck else "—"],
        ["复盘结论", review.summary if review and review.filed_at else ""],
        ["数据计算时间", figures["computed_at"].replace("T", " ")[:16]],
    ]


def _feedback_rows(feedback: dict | None) -> list[list]:
    """客户反馈处理 (a review filed before it was counted has none)."""
    if not feedback:
        return []
    return [["其中无订单反馈", feedback["without_order"]], ["按时响应反馈", feedback["responded_in_time"]],
            ["反馈响应及时率(%)", _shown(feedback["response_rate"])], ["已关闭反馈", feedback["closed"]],
            ["反馈关闭率(%)", _shown(feedback["closure_rate"])]]


def _action_rows(items) -> list[list]:
    return [[item.description, str(item.owner), item.due_date.isoformat(), "已完成" if item.is_done else "进行中",
             _when(item.done_at), item.done_note] for item in items]


CHANGES_TITLE = "上月优化措施带来的模板变更"
CHANGES_HEADERS = ["优化措施", "设置", "变更（原值 → 新值）", "应用时间", "确认人"]


def change_rows(changes) -> list[list]:
    """上月优化措施带来的模板变更: one row per applied action item of the month before."""
    return [[item.description, item.setting_change["setting"],
             "；".join(f"{label}：{old} → {new}" for label, old, new in item.setting_change["changes"]),
             _when(item.done_at), str(item.done_by or "")] for item in changes]


def _changes(month):
    from orderloop.reviews.services import template_changes_of

    return template_changes_of(month)


def review_sheets(month, review, figures, items, changes=()) -> list[tuple[str, list[str], list[list]]]:
    """(sheet title, headers, rows) for each group of figures; the template changes of last month's action items
    just before this month's action items (the last sheet)."""
    f = _chinese(figures)
    return [
        ("概况", ["指标", "数值"], summary_rows(month, review, f)),
        ("客户满意度", ["客户满意度评分(1-5分)", "订单数"],
         [[row["score"], row["count"]] for row in f["satisfaction"]["distribution"]]),
        ("售后问题类型", ["反馈类型", "数量"], [[row["label"], row["count"]] for row in f["tickets"]["by_type"]]),
        ("期限达成率", ["期限", "按时完成", "超时", "达成率(%)"],
         [[row["label"], row["on_time"], row["breached"], _shown(row["rate"])] for row in f["deadlines"]]),
        ("各阶段用时", ["环节", "订单数", "用时中位数(天)", "90%分位(天)", "瓶颈环节"],
         [[row["label"], row["orders"], _shown(row["median_days"]), _shown(row["p90_days"]),
           "是" if f["bottleneck"] and f["bottleneck"]["phase"] == row["phase"] else ""] for row in f["phases"]]),
        ("延误原因", ["风险类型", "数量"], [[row["label"], row["count"]] for row in f["delay_reasons"]["by_type"]]),
        ("按销售负责人", ["销售负责人", "订单数量", "总金额(元)", "交付订单数", "准时交付", "交付准时率(%)"],
         [[row["name"], row["orders"], Decimal(row["amount"]), row["delivered"], row["on_time"], _shown(row["on_time_rate"])]
          for row in f["by_owner"]]),
        ("按客户", ["客户名称", "订单数量", "总金额(元)", "交付订单数", "准时交付", "交付准时率(%)"],
         [[row["name"], row["orders"], Decimal(row["amount"]), row["delivered"], row["on_time"], _shown(row["on_time_rate"])]
          for row in f["by_customer"]]),
        ("按产品", ["产品/服务名称", "规格型号", "订单数量", "数量", "总金额(元)"],
         [[row["product"], row["model"], row["orders"], Decimal(row["quantity"]), Decimal(row["amount"])]
          for row in f["by_product"]]),
        (CHANGES_TITLE, CHANGES_HEADERS, change_rows(changes)),
        ("优化措施", ["优化措施", "负责人", "完成期限", "状态", "完成时间", "完成情况"], _action_rows(items)),
    ]


def _width(value) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in str(value)) + 2


def review_xlsx_bytes(month, review, figures) -> bytes:
    """The workbook, one sheet per group of figures, written by orders/xlsx.py like every exported workbook:
    text (customer names, action items, notes) an explicit string, never a formula; numbers numbers."""
    from orderloop.orders.xlsx import Sheet, write_workbook

    items = list(review.action_items.select_related("owner")) if review else []
    sheets = []
    for title, headers, rows in review_sheets(month, review, figures, items, _changes(month)):
        widths = [_width(h) for h in headers]
        for row in rows:
            widths = [min(60, max(w, _width(v))) for w, v in zip(widths, row)]
        sheets.append(Sheet(title, headers, rows, widths, text_columns=(), filter=False))
    buffer = io.BytesIO()
    write_workbook(buffer, sheets)
    return buffer.getvalue()


def review_text(month, review, figures) -> str:
    """The review as plain text (``orderloop report``): the workbook's sheets one after the other, a title line
    and the sheet's rows with tab-separated cells, headers first."""
    items = list(review.action_items.select_related("owner")) if review else []
    blocks = [f"{month:%Y-%m} 订单复盘报告"]
    for title, headers, rows in review_sheets(month, review, figures, items):
        lines = [f"【{title}】", "\t".join(headers)]
        lines += ["\t".join("" if value is None else str(value) for value in row) for row in rows] or ["（无）"]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"


def phase_chart(figures) -> Drawing:
    """各阶段用时: the median days per phase as bars."""
    phases = figures["phases"]
    drawing = Drawing(170 * mm, 70 * mm)
    chart = VerticalBarChart()
    chart.x, chart.y, chart.width, chart.height = 14 * mm, 12 * mm, 150 * mm, 48 * mm
    chart.data = [[row["median_days"] or 0 for row in phases], [row["p90_days"] or 0 for row in phases]]
    chart.categoryAxis.categoryNames = [row["label"] for row in phases]
    chart.categoryAxis.labels.fontName = FONT
    chart.categoryAxis.labels.fontSize = 8
    chart.valueAxis.valueMin = 0
    chart.valueAxis.labels.fontSize = 8
    chart.bars[0].fillColor = colors.HexColor("#0B6BCB")
    chart.bars[1].fillColor = colors.HexColor("#9FC5F8")
    chart.barLabelFormat = "%.1f"
    chart.barLabels.fontSize = 7
    chart.barLabels.nudge = 6
    drawing.add(chart)
    drawing.add(String(14 * mm, 64 * mm, "各阶段用时（天）：深色为中位数，浅色为90%分位", fontName=FONT, fontSize=9))
    return drawing


def review_pdf_bytes(month, review, figures) -> bytes:
    """《订单复盘报告》: the figures, a chart of the time per phase, the conclusion and the action items."""
    items = list(review.action_items.select_related("owner")) if review else []
    sheets = review_sheets(month, review, figures, items, _changes(month))
    buffer = io.BytesIO()
    document = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm, topMargin=18 * mm,
                                 bottomMargin=18 * mm, title=f"订单复盘报告 {month.strftime('%Y-%m')}", author="orderloop")
    story = [Paragraph("订单复盘报告", TITLE)]
    summary = [row for row in sheets[0][2] if row[0] != "复盘结论"]
    story += [_table([[label, str(value)] for label, value in summary], [50 * mm, 124 * mm], header=False)]
    story += [Paragraph("各阶段用时", HEADING_STYLE), phase_chart(_chinese(figures))]
    for title, headers, rows in sheets[1:-2]:
        story.append(Paragraph(title, HEADING_STYLE))
        if rows:
            story.append(_table([headers] + [[str(cell) for cell in row] for row in rows], None))
        else:
            story.append(Paragraph("本月没有记录", TEXT))
    story.append(Paragraph("复盘结论", HEADING_STYLE))
    conclusion = review.summary if review and review.filed_at else "（尚未提交）"
    story.append(Paragraph(escape(conclusion).replace("\n", "<br/>"), TEXT))
    story.append(Paragraph(CHANGES_TITLE, HEADING_STYLE))
    changes = sheets[-2][2]
    story.append(_table([CHANGES_HEADERS] + changes,
                        [40 * mm, 30 * mm, 54 * mm, 28 * mm, 22 * mm]) if changes
                 else Paragraph("上月的优化措施没有更新期限、环节模板或审批规则", TEXT))
    story.append(Paragraph("优化措施", HEADING_STYLE))
    headers, rows = sheets[-1][1], sheets[-1][2]
    story.append(_table([headers] + rows, [46 * mm, 20 * mm, 22 * mm, 16 * mm, 28 * mm, 42 * mm]) if rows
                 else Paragraph("暂无优化措施", TEXT))
    story.append(Spacer(1, 8 * mm))
    story.append(Paragraph("销售经理（签字）：____________________　　日期：____________", TEXT))
    document.build(story)
    return buffer.getvalue()
