"""The 《订单复盘报告》 as a workbook (one sheet per group of figures) and as a PDF a director can forward: the month
and company, the key figures, the four charts of the review page (drawn here with ReportLab graphics, each with a
one-line reading), then the tables. Both in Chinese, like the seed's registers and the order documents."""
import io
import unicodedata
from decimal import Decimal
from xml.sax.saxutils import escape

from django.utils import translation
from reportlab.graphics.charts.barcharts import HorizontalBarChart, VerticalBarChart
from reportlab.graphics.charts.doughnut import Doughnut
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Paragraph, Spacer, Table, TableStyle

from orderloop.core.calendar import local_text
from orderloop.core.money import amount_text
from orderloop.core.pdf import CELL, FONT, HEADING, SMALL, TABLE_FONT, TEXT, TITLE, document_template
from orderloop.orders.documents import _table
from orderloop.reviews.report import relabel

HEADING_STYLE = HEADING


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
        ["上线导入订单", orders.get("imported", 0)],
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
        *_money_rows(figures.get("money")),
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


def _money_rows(money: dict | None) -> list[list]:
    """回款 (a review filed before it was counted has none)."""
    if not money:
        return []
    return [["到期应收(元)", Decimal(money["due"])], ["回款(元)", Decimal(money["received"])],
            ["回款率(%)", _shown(money["collection_rate"])], ["期末逾期应收(元)", Decimal(money["overdue"])],
            ["期末应收(元)", Decimal(money["receivables"])], ["本月交付金额(元)", Decimal(money["sales"])],
            ["DSO(天)", _shown(money["dso"])], ["付款放行(次)", money["waived"]], ["尾款核销(次)", money["written_off"]]]


MONEY_HEADERS = ["到期应收(元)", "回款(元)", "回款率(%)", "期末逾期应收(元)", "期末应收(元)", "本月交付金额(元)", "DSO(天)",
                 "付款放行", "尾款核销"]


MONEY_SHEETS = ("回款按销售负责人", "回款按客户")
# ten columns across the page, each amount on one line
MONEY_WIDTHS = [26 * mm] + [19 * mm] * 2 + [13 * mm] + [19 * mm] * 3 + [12 * mm] + [14 * mm] * 2


def _money_table(rows) -> Table:
    small = CELL.clone("money-cell", fontSize=8, leading=10)
    table = Table([[Paragraph(escape(cell), small) for cell in row] for row in rows], colWidths=MONEY_WIDTHS, repeatRows=1)
    table.setStyle(TableStyle([TABLE_FONT, ("GRID", (0, 0), (-1, -1), 0.5, colors.grey), ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                               ("LEFTPADDING", (0, 0), (-1, -1), 3), ("RIGHTPADDING", (0, 0), (-1, -1), 3),
                               ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#DDEBF7"))]))
    return table


def money_breakdown_rows(rows) -> list[list]:
    return [[row["name"], Decimal(row["due"]), Decimal(row["received"]), _shown(row["collection_rate"]),
             Decimal(row["overdue"]), Decimal(row["receivables"]), Decimal(row["sales"]), _shown(row["dso"]),
             row["waived"], row["written_off"]] for row in rows]


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
        ("回款按销售负责人", ["销售负责人", *MONEY_HEADERS], money_breakdown_rows((f.get("money") or {}).get("by_owner", []))),
        ("回款按客户", ["客户名称", *MONEY_HEADERS], money_breakdown_rows((f.get("money") or {}).get("by_customer", []))),
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


BLUE, LIGHT, GREEN, RED, GREY = (colors.HexColor(c) for c in ("#0B6BCB", "#9FC5F8", "#067647", "#B42318", "#9AA5B1"))
FULL, HALF, CHART_HEIGHT = 174 * mm, 85 * mm, 66 * mm
# The four charts of the review page (reviews/review_detail.html, static/js/review-charts.js), in its order.
CHART_TITLES = ("图1 交付准时率", "图2 客户满意度分布", "图3 售后问题类型", "图4 各阶段用时（天）")


def _number(value) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _drawing(width, height, title) -> Drawing:
    """A chart's drawing, titled, in the embedded font from the start (ReportLab's graphics start in Helvetica)."""
    drawing = Drawing(width, height, initialFontName=FONT, initialFontSize=9)
    drawing.add(String(0, height - 5 * mm, title, fontName=FONT, fontSize=10.5))
    return drawing


def _chart_frame(width, title) -> Drawing:
    return _drawing(width, CHART_HEIGHT, title)


def _nothing(width, title) -> Drawing:
    """A chart with nothing to draw this month: its title and a short grey note (the reading under it says why)."""
    drawing = _drawing(width, 14 * mm, title)
    drawing.add(String(0, 2 * mm, "（本月无数据）", fontName=FONT, fontSize=9, fillColor=GREY))
    return drawing


def _count_axis(axis, top: int):
    """A value axis of whole numbers from 0, about five steps."""
    step = max(1, -(-top // 5))
    axis.valueMin, axis.valueMax, axis.valueStep = 0, max(step * 5, step * -(-top // step)), step
    axis.labels.fontName, axis.labels.fontSize = FONT, 8
    axis.labelTextFormat = "%d"


def _bars(width, title, names, values, x_title, y_title) -> Drawing:
    """A vertical bar chart of counts, each bar labelled with its value."""
    drawing = _chart_frame(width, title)
    chart = VerticalBarChart()
    chart.x, chart.y, chart.width, chart.height = 14 * mm, 13 * mm, width - 18 * mm, CHART_HEIGHT - 26 * mm
    chart.data = [values]
    chart.categoryAxis.categoryNames = names
    chart.categoryAxis.labels.fontName, chart.categoryAxis.labels.fontSize = FONT, 8
    _count_axis(chart.valueAxis, max(values))
    chart.bars[0].fillColor = BLUE
    chart.barLabelFormat = "%d"
    chart.barLabels.fontName, chart.barLabels.fontSize, chart.barLabels.nudge = FONT, 8, 5
    chart.barSpacing = 2
    drawing.add(chart)
    drawing.add(String(chart.x + chart.width / 2, 2 * mm, x_title, fontName=FONT, fontSize=8, textAnchor="middle",
                       fillColor=colors.HexColor("#555555")))
    drawing.add(String(chart.x - 2 * mm, chart.y + chart.height + 3 * mm, y_title, fontName=FONT, fontSize=8,
                       textAnchor="middle", fillColor=colors.HexColor("#555555")))
    return drawing


def on_time_chart(f) -> Drawing:
    """交付准时率: the delivered orders, on time, late and without a date, as a doughnut with a legend."""
    delivery = f["delivery"]
    parts = [("准时交付", delivery["on_time"], GREEN), ("延期交付", delivery["late"], RED), ("无交付日期", delivery["no_date"], GREY)]
    if not sum(n for _, n, _ in parts):
        return _nothing(HALF, CHART_TITLES[0])
    drawing = _chart_frame(HALF, CHART_TITLES[0])
    shown = [(label, n, colour) for label, n, colour in parts if n]
    chart = Doughnut()
    chart.x, chart.y, chart.width, chart.height = 4 * mm, 6 * mm, 46 * mm, 46 * mm
    chart.data = [n for _, n, _ in shown]
    chart.labels = [str(n) for _, n, _ in shown]
    chart.innerRadiusFraction = 0.5
    chart.slices.fontName, chart.slices.fontSize, chart.slices.fontColor = FONT, 9, colors.white
    chart.slices.labelRadius = 0.75
    chart.slices.strokeColor, chart.slices.strokeWidth = colors.white, 1
    for index, (_, _, colour) in enumerate(shown):
        chart.slices[index].fillColor = colour
    drawing.add(chart)
    rate = delivery["on_time_rate"]
    drawing.add(String(chart.x + chart.width / 2, chart.y + chart.height / 2 - 3, f"{_number(rate)}%" if rate is not None else "—",
                       fontName=FONT, fontSize=11, textAnchor="middle"))
    legend = Legend()
    legend.x, legend.y = 56 * mm, 40 * mm
    legend.fontName, legend.fontSize, legend.alignment = FONT, 8.5, "right"
    legend.dx = legend.dy = 7
    legend.deltay = 12
    legend.colorNamePairs = [(colour, f"{label} {n}") for label, n, colour in parts]
    drawing.add(legend)
    return drawing


def satisfaction_chart(f) -> Drawing:
    """客户满意度分布: the orders per score, 1 to 5."""
    rows = f["satisfaction"]["distribution"]
    if not f["satisfaction"]["rated"]:
        return _nothing(HALF, CHART_TITLES[1])
    return _bars(HALF, CHART_TITLES[1], [f"{row['score']}分" for row in rows], [row["count"] for row in rows],
                 "客户满意度评分", "订单数")


def tickets_chart(f) -> Drawing:
    """售后问题类型: the after-sales issues per type."""
    rows = f["tickets"]["by_type"]
    if not rows:
        return _nothing(FULL, CHART_TITLES[2])
    return _bars(FULL, CHART_TITLES[2], [row["label"] for row in rows], [row["count"] for row in rows], "问题类型", "数量")


def phase_chart(f) -> Drawing:
    """各阶段用时: the median and the 90th percentile of the days in each phase, as horizontal bars (the phases'
    names read across), with a legend."""
    phases = f["phases"]
    if not any(row["median_days"] for row in phases):
        return _nothing(FULL, CHART_TITLES[3])
    height = max(CHART_HEIGHT, (len(phases) * 9 + 24) * mm)
    drawing = _drawing(FULL, height, CHART_TITLES[3])
    chart = HorizontalBarChart()
    chart.x, chart.y, chart.width, chart.height = 26 * mm, 12 * mm, FULL - 36 * mm, height - 24 * mm
    rows = list(reversed(phases))  # the first phase on top
    chart.data = [[row["median_days"] or 0 for row in rows], [row["p90_days"] or 0 for row in rows]]
    chart.categoryAxis.categoryNames = [row["label"] for row in rows]
    chart.categoryAxis.labels.fontName, chart.categoryAxis.labels.fontSize = FONT, 8.5
    top = max([value for series in chart.data for value in series] + [1])
    step = next(s for s in (0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500) if top / s <= 8)
    chart.valueAxis.valueMin, chart.valueAxis.valueStep = 0, step
    chart.valueAxis.valueMax = step * (int(top / step) + 1)  # the longest bar and its label inside the axis
    chart.valueAxis.labels.fontName, chart.valueAxis.labels.fontSize = FONT, 8
    chart.bars[0].fillColor, chart.bars[1].fillColor = BLUE, LIGHT
    chart.barLabelFormat = lambda value: "" if not value else f"{value:.1f}"
    chart.barLabels.fontName, chart.barLabels.fontSize, chart.barLabels.nudge = FONT, 7.5, 7
    chart.barLabels.boxAnchor = "w"
    chart.groupSpacing = 6
    drawing.add(chart)
    drawing.add(String(chart.x + chart.width / 2, 2 * mm, "天", fontName=FONT, fontSize=8, textAnchor="middle",
                       fillColor=colors.HexColor("#555555")))
    legend = Legend()
    legend.x, legend.y = FULL - 60 * mm, height - 3 * mm
    legend.fontName, legend.fontSize, legend.alignment = FONT, 8.5, "right"
    legend.columnMaximum, legend.dx, legend.dy, legend.deltax = 1, 7, 7, 70
    legend.colorNamePairs = [(BLUE, "中位数"), (LIGHT, "90%分位")]
    drawing.add(legend)
    return drawing


def readings(f) -> list[str]:
    """One line under each chart: what it says, in the words of a report."""
    delivery, satisfaction, tickets = f["delivery"], f["satisfaction"], f["tickets"]
    if delivery["delivered"]:
        no_date = f"，无交付日期 {delivery['no_date']} 单" if delivery["no_date"] else ""
        rate = f"准时率 {_number(delivery['on_time_rate'])}%" if delivery["on_time_rate"] is not None else "无法计算准时率"
        on_time = f"本月交付 {delivery['delivered']} 单：准时 {delivery['on_time']} 单，延期 {delivery['late']} 单{no_date}；{rate}。"
    else:
        on_time = "本月没有交付的订单。"
    if satisfaction["rated"]:
        low = sum(row["count"] for row in satisfaction["distribution"] if row["score"] <= 2)
        rated = (f"回访评分 {satisfaction['rated']} 单，平均 {_number(satisfaction['average'])} 分"
                 + (f"，其中 {low} 单为 2 分及以下，需逐一跟进。" if low else "，没有 2 分及以下的评分。"))
    else:
        rated = "本月没有回访评分的订单。"
    if tickets["total"]:
        top = max(tickets["by_type"], key=lambda row: row["count"])
        issues = f"售后问题共 {tickets['total']} 个，最多的是「{top['label']}」（{top['count']} 个）。"
    else:
        issues = "本月没有售后问题。"
    measured = [row for row in f["phases"] if row["median_days"]]
    if f["bottleneck"]:
        b = f["bottleneck"]
        phases = f"瓶颈环节是「{b['label']}」：用时中位数 {_number(b['median_days'])} 天，90% 分位 {_number(b['p90_days'])} 天。"
    elif measured:
        longest = max(measured, key=lambda row: row["median_days"])
        phases = f"用时最长的是「{longest['label']}」（中位数 {_number(longest['median_days'])} 天），没有明显的瓶颈环节。"
    else:
        phases = "本月没有可计的环节用时。"
    return [on_time, rated, issues, phases]


def review_charts(f) -> list:
    """The four charts of the review page, each with its one-line reading: the two small ones side by side."""
    on_time, rated, issues, phases = readings(f)

    def cell(drawing, reading):
        return [drawing, Paragraph(escape(reading), SMALL)]

    pair = Table([[cell(on_time_chart(f), on_time), cell(satisfaction_chart(f), rated)]], colWidths=[HALF + 2 * mm] * 2)
    pair.setStyle(TableStyle([TABLE_FONT, ("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0),
                              ("RIGHTPADDING", (0, 0), (-1, -1), 0)]))
    return [pair, Spacer(1, 5 * mm),
            KeepTogether([tickets_chart(f), Paragraph(escape(issues), SMALL)]), Spacer(1, 5 * mm),
            KeepTogether([phase_chart(f), Paragraph(escape(phases), SMALL)])]


def key_figures(f) -> Table:
    """The six figures a director reads first, large, each under its label."""
    orders, delivery, satisfaction = f["orders"], f["delivery"], f["satisfaction"]
    bottleneck = f["bottleneck"]
    tiles = [
        ("订单数量", str(orders["count"]), f"驳回 {orders['rejected']} · 取消 {orders['cancelled']}"),
        ("订单金额(元)", amount_text(Decimal(orders["amount"])), ""),
        ("交付准时率", "—" if delivery["on_time_rate"] is None else f"{_number(delivery['on_time_rate'])}%",
         f"交付 {delivery['delivered']} 单"),
        ("客户满意度", "—" if satisfaction["average"] is None else f"{_number(satisfaction['average'])} 分",
         f"回访评分 {satisfaction['rated']} 单"),
        ("售后问题", str(f["tickets"]["total"]), f"延期风险 {f['delay_reasons']['total']} 个"),
        ("瓶颈环节", bottleneck["label"] if bottleneck else "无",
         f"中位数 {_number(bottleneck['median_days'])} 天" if bottleneck else ""),
    ]
    label, big = CELL.clone("tile-label", textColor="#555555", fontSize=8.5), CELL.clone("tile", fontSize=15, leading=20)

    def tile(name, value, note):
        return [Paragraph(escape(name), label), Paragraph(escape(value), big), Paragraph(escape(note), label)]

    table = Table([[tile(*t) for t in tiles[:3]], [tile(*t) for t in tiles[3:]]], colWidths=[58 * mm] * 3)
    table.setStyle(TableStyle([TABLE_FONT, ("BOX", (0, 0), (-1, -1), 0.5, colors.grey), ("INNERGRID", (0, 0), (-1, -1), 0.5, colors.grey),
                               ("BACKGROUND", (0, 0), (-1, -1), colors.HexColor("#F3F7FC")), ("VALIGN", (0, 0), (-1, -1), "TOP"),
                               ("TOPPADDING", (0, 0), (-1, -1), 4), ("BOTTOMPADDING", (0, 0), (-1, -1), 5)]))
    return table


def _company_name() -> str:
    from orderloop.setup.models import CompanyProfile

    company = CompanyProfile.current()
    return company.name if company else ""


def review_pdf_bytes(month, review, figures, scope=None) -> bytes:
    """《订单复盘报告》 as a report to forward: the month and company (and the teams, for a manager's review), the key
    figures and the conclusion, the four charts of the page with a line each, then the tables and the action
    items. ``scope`` the names of the teams the figures are limited to (None: the whole company)."""
    items = list(review.action_items.select_related("owner")) if review else []
    sheets = review_sheets(month, review, figures, items, _changes(month))
    f = _chinese(figures)
    company = _company_name()
    buffer = io.BytesIO()
    document = document_template(buffer, title=f"订单复盘报告 {month.strftime('%Y-%m')}", author=company or "orderloop",
                                 margin=16 * mm)
    heading = "　".join(part for part in (company, f"{month.year}年{month.month}月",
                                          f"范围：{'、'.join(scope)}" if scope else "") if part)
    story = [Paragraph("订单复盘报告", TITLE.clone("review-title", spaceAfter=2 * mm)),
             Paragraph(escape(heading), TEXT.clone("subtitle", alignment=1, fontSize=11.5, leading=16)),
             Paragraph(escape(f"{_state(review)}　数据计算时间：{figures['computed_at'].replace('T', ' ')[:16]}"),
                       SMALL.clone("state", alignment=1, spaceAfter=4 * mm)),
             Paragraph("关键指标", HEADING_STYLE), key_figures(f),
             Paragraph("复盘结论", HEADING_STYLE)]
    conclusion = review.summary if review and review.filed_at else "（尚未提交）"
    story.append(Paragraph(escape(conclusion).replace("\n", "<br/>"), TEXT))
    story.append(Paragraph("图表", HEADING_STYLE))
    story += review_charts(f)
    story.append(Paragraph("概况", HEADING_STYLE))
    summary = [row for row in sheets[0][2] if row[0] != "复盘结论"]
    story += [_table([[label, str(value)] for label, value in summary], [50 * mm, 124 * mm], header=False)]
    for title, headers, rows in sheets[1:-2]:
        story.append(Paragraph(title, HEADING_STYLE))
        if rows and title in MONEY_SHEETS:
            story.append(_money_table([headers] + [[str(cell) for cell in row] for row in rows]))
        elif rows:
            story.append(_table([headers] + [[str(cell) for cell in row] for row in rows], None))
        else:
            story.append(Paragraph("本月没有记录", TEXT))
    story.append(Paragraph(CHANGES_TITLE, HEADING_STYLE))
    changes = sheets[-2][2]
    story.append(_table([CHANGES_HEADERS] + changes,
                        [40 * mm, 30 * mm, 54 * mm, 28 * mm, 22 * mm]) if changes
                 else Paragraph("上月的优化措施没有更新期限、环节模板或审批规则", TEXT))
    story.append(Paragraph("优化措施", HEADING_STYLE))
    headers, rows = sheets[-1][1], sheets[-1][2]
    story.append(_table([headers] + rows, [46 * mm, 24 * mm, 22 * mm, 16 * mm, 28 * mm, 42 * mm]) if rows
                 else Paragraph("暂无优化措施", TEXT))
    story.append(Spacer(1, 8 * mm))
    story.append(Paragraph("销售经理（签字）：____________________　　日期：____________", TEXT))
    document.build(story)
    return buffer.getvalue()
