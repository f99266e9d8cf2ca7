"""The receivables as files: 《应收账款台账》 (one row per open instalment) and the ageing (账龄分析) by customer,
owner or team. The .xlsx holds both sheets (the ageing first); the .csv is the ledger. Cells go through
core/exports.py like every register's (text as typed, never a formula); the ledger is streamed from the database
a chunk at a time, as the registers are (orders/registers.py)."""
import tempfile
from datetime import date

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_

from orderloop.finance.receivables import BUCKETS, GROUPINGS, Ageing, bucket_of, condition, days_overdue, ledger_records

LEDGER_TITLE = N_("应收账款台账")
AGEING_TITLE = N_("账龄分析")
LEDGER = [N_("客户名称"), N_("订单编号"), N_("期数"), N_("付款条件"), N_("应收金额(元)"), N_("已收金额(元)"), N_("核销金额(元)"),
          N_("未收金额(元)"), N_("到期日"), N_("逾期天数"), N_("账龄"), N_("销售负责人"), N_("团队")]
GROUP_HEADING = {"customer": N_("客户名称"), "owner": N_("销售负责人"), "team": N_("团队")}
CHUNK = 2000
CONTENT_TYPES = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                 "csv": "text/csv; charset=utf-8"}
FILENAME = "%E5%BA%94%E6%94%B6%E8%B4%A6%E6%AC%BE%E5%8F%B0%E8%B4%A6"  # 应收账款台账, quoted for Content-Disposition


def ledger_headers() -> list[str]:
    return [_(heading) for heading in LEDGER]


def ageing_headers(by: str) -> list[str]:
    return [_(GROUP_HEADING[by])] + [_(label) for _key, label, *_days in BUCKETS] + [
        _("逾期合计(元)"), _("应收合计(元)"), _("笔数")]


def ledger_rows(user, today: date):
    labels = {key: _(label) for key, label, *_days in BUCKETS}
    for row in ledger_records(user).iterator(chunk_size=CHUNK):
        order = row.order
        owner = order.owner
        yield [order.customer.name, order.ref, row.number, condition(row), row.amount, row.received, row.written_off,
               row.open_amount, row.due_date, days_overdue(row.due_date, today), labels[bucket_of(row.due_date, today)],
               str(owner) if owner else "", owner.team.name if owner and owner.team_id else ""]


def ageing_rows(ageing: Ageing):
    for row in ageing.rows + [ageing.total]:
        yield [row.label] + row.cells() + [row.instalments]


def receivables_file(user, fmt: str, ageing: Ageing):
    """The file of the receivables ``user`` may see on ``ageing.today``, in a temporary file (rewound), and the
    number of rows written (the ledger's, plus the ageing's in a workbook)."""
    from orderloop.orders.registers import csv_file
    from orderloop.orders.xlsx import Sheet, write_workbook

    if fmt == "csv":
        return csv_file(ledger_headers(), ledger_rows(user, ageing.today))
    headers = ageing_headers(ageing.by)
    ledger = ledger_headers()
    out = tempfile.SpooledTemporaryFile(max_size=4 * 1024 * 1024)
    counts = write_workbook(out, [
        Sheet(f"{_(AGEING_TITLE)}（{_(GROUPINGS[ageing.by])}）", headers, ageing_rows(ageing),
              widths=[36] + [14] * (len(headers) - 1), text_columns=(0,)),
        Sheet(_(LEDGER_TITLE), ledger, ledger_rows(user, ageing.today),
              widths=[36, 14, 6, 16, 14, 14, 14, 14, 12, 10, 14, 12, 16], text_columns=(0, 1)),
    ])
    out.seek(0)
    return out, sum(counts)
