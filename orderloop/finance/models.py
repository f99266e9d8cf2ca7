"""Order to cash (SPEC section 9, Money): each order's payment plan as stored instalments, the receipts (回款)
finance records and their allocations to instalments, and the invoices (开票申请 → 数电发票, 红字)."""
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from orderloop.masterdata.models import Trigger, validate_uscc

ZERO = Decimal("0.00")


def money(label, **kwargs):
    return models.DecimalField(label, max_digits=14, decimal_places=2, **kwargs)


class Instalment(models.Model):
    """One instalment of an order's payment plan (付款计划): its share of the total, when it falls due, what has been
    received against it (the sum of its allocations, kept in step under the row's lock) and what a manager wrote
    off. ``is_open`` is true while something is outstanding: the receivables read only the open rows.
    ``settled_on`` (结清日期) is empty while the row is open; once it is settled, a day no earlier than any of its
    receipts' 到账日期 and its write-off (the day it was closed, or a receipt's 到账日期 if that is later): nothing
    of it was outstanding at the end of any day from then on, so the monthly review (reviews.report) reads only the
    rows settled after the month it looks at, or not at all, instead of the whole history."""
    order = models.ForeignKey("orders.SalesOrder", on_delete=models.CASCADE, related_name="instalments")
    # the order's 销售负责人 and customer (neither changes once an order has a plan), kept on the row so that the
    # monthly review groups what was owed without reading the orders (reviews.report)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("销售负责人"), on_delete=models.PROTECT,
                              related_name="+", db_index=False)
    customer = models.ForeignKey("masterdata.Customer", verbose_name=_("客户"), on_delete=models.PROTECT,
                                 related_name="+", db_index=False)
    number = models.PositiveSmallIntegerField(_("期数"))
    trigger = models.CharField(_("付款条件"), max_length=30, choices=Trigger.choices)
    days = models.PositiveIntegerField(_("天数"), default=0)
    working_days = models.BooleanField(_("按工作日"), default=False)
    fixed_date = models.DateField(_("指定日期"), null=True, blank=True)
    share = models.CharField(_("比例/金额"), max_length=30)
    amount = money(_("应收金额(元)"))
    due_date = models.DateField(_("到期日"), null=True, blank=True)
    received = money(_("已收金额(元)"), default=ZERO)
    written_off = money(_("核销金额(元)"), default=ZERO)
    write_off_reason = models.CharField(_("核销原因"), max_length=500, blank=True)
    written_off_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("核销人"), null=True, blank=True,
                                       on_delete=models.PROTECT, related_name="+")
    written_off_at = models.DateTimeField(_("核销时间"), null=True, blank=True)
    waived_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("放行人"), null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="+")
    waived_at = models.DateTimeField(_("放行时间"), null=True, blank=True)
    waive_reason = models.CharField(_("放行原因"), max_length=500, blank=True)
    # 0: nobody told yet; 1: the account manager, 2: the sales manager, 3: the director (each once)
    escalation_level = models.PositiveSmallIntegerField(_("逾期提醒级别"), default=0)
    is_open = models.BooleanField(_("未结清"), default=True)
    settled_on = models.DateField(_("结清日期"), null=True, blank=True)
    # no earlier than the latest 到账日期 of its allocations (raised with each, never lowered): what it had received
    # by a day before it is all it has received
    last_received_on = models.DateField(_("最近到账日期"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"))

    class Meta:
        ordering = ["order", "number"]
        verbose_name = _("付款计划分期")
        verbose_name_plural = _("付款计划分期")
        constraints = [
            models.UniqueConstraint(fields=["order", "number"], name="instalment_unique_number"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="instalment_amount_not_negative"),
            models.CheckConstraint(condition=Q(received__gte=0) & Q(written_off__gte=0), name="instalment_paid_not_negative"),
            # never more received (and written off) than is due: the database's word, whatever the code does
            models.CheckConstraint(condition=Q(received__lte=F("amount") - F("written_off")),
                                   name="instalment_not_over_allocated"),
        ]
        indexes = [models.Index(fields=["due_date"], condition=Q(is_open=True), name="instalment_open_due_idx"),
                   # the monthly review: the instalments due in its month, and those not settled by its end
                   models.Index(fields=["due_date"], name="instalment_due_idx"),
                   models.Index(fields=["settled_on", "created_at"], name="instalment_settled_idx")]

    def __str__(self):
        return f"{self.order_id}/{self.number}"

    @property
    def outstanding(self) -> Decimal:
        return self.amount - self.received - self.written_off

    def settle(self, today: date, received_on: date | None = None) -> None:
        """Open while something is outstanding. A row that closes is settled ``today``, or on ``received_on`` (the
        到账日期 of the receipt that paid it off) if that is later; a row that reopens is not settled; a row that
        stays closed keeps its day (what it received can only have shrunk)."""
        was_open, self.is_open = self.is_open, self.outstanding > 0
        if self.is_open:
            self.settled_on = None
        elif was_open or self.settled_on is None:
            self.settled_on = max(today, received_on or today)


class ReceiptSource(models.TextChoices):
    MANUAL = "manual", _("手工登记")
    STATEMENT = "statement", _("银行流水导入")
    OPENING = "opening", _("上线期初回款")  # paid before going live (golive: 已收款), already in the accounts


class StatementImport(models.Model):
    """One bank statement (银行流水) imported by finance: its lines became receipts (``Receipt.statement``) in one
    transaction; the lines skipped because their 流水号 was recorded already are kept with their row number."""
    filename = models.CharField(_("文件名"), max_length=200)
    imported_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("导入人"), on_delete=models.PROTECT,
                                    related_name="+")
    imported_at = models.DateTimeField(_("导入时间"))
    lines = models.PositiveIntegerField(_("收款行数"), default=0)
    skipped = models.JSONField(_("跳过的行"), default=list, blank=True)  # [{"row": 12, "bank_reference": "…"}]

    class Meta:
        ordering = ["-imported_at", "-id"]
        verbose_name = _("银行流水导入")
        verbose_name_plural = _("银行流水导入")

    def __str__(self):
        return f"{self.filename} ({self.imported_at:%Y-%m-%d %H:%M})"


class Receipt(models.Model):
    """Money received from a customer (回款). What is not allocated to instalments stays the customer's balance
    (预收余额); ``allocated`` is the sum of its allocations, kept in step under the row's lock. A bank reference
    (银行流水号) names one bank line: it is recorded once (a statement's line already recorded is skipped)."""
    customer = models.ForeignKey("masterdata.Customer", verbose_name=_("客户"), on_delete=models.PROTECT,
                                 related_name="receipts")
    received_on = models.DateField(_("到账日期"), db_index=True)
    payer = models.CharField(_("付款方"), max_length=200)
    amount = money(_("金额(元)"))
    bank_reference = models.CharField(_("银行流水号"), max_length=100, blank=True)
    remark = models.CharField(_("备注"), max_length=500, blank=True)
    allocated = money(_("已核销金额(元)"), default=ZERO)
    source = models.CharField(_("来源"), max_length=20, choices=ReceiptSource.choices, default=ReceiptSource.MANUAL)
    statement = models.ForeignKey(StatementImport, verbose_name=_("银行流水导入"), null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="receipts")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("登记人"), on_delete=models.PROTECT,
                                    related_name="+")
    recorded_at = models.DateTimeField(_("登记时间"))

    class Meta:
        ordering = ["-received_on", "-id"]
        verbose_name = _("回款")
        verbose_name_plural = _("回款")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="receipt_amount_positive"),
            models.CheckConstraint(condition=Q(allocated__gte=0) & Q(allocated__lte=F("amount")),
                                   name="receipt_not_over_allocated"),
            models.UniqueConstraint(fields=["bank_reference"], condition=~Q(bank_reference=""),
                                    name="receipt_unique_bank_reference"),
        ]

    def __str__(self):
        return f"{self.received_on} {self.payer} {self.amount}"

    @property
    def unallocated(self) -> Decimal:
        return self.amount - self.allocated


class Allocation(models.Model):
    """Part of a receipt applied to an instalment (回款核销)."""
    receipt = models.ForeignKey(Receipt, on_delete=models.PROTECT, related_name="allocations")
    instalment = models.ForeignKey(Instalment, on_delete=models.PROTECT, related_name="allocations")
    amount = money(_("金额(元)"))
    allocated_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("核销人"), on_delete=models.PROTECT,
                                     related_name="+")
    allocated_at = models.DateTimeField(_("核销时间"))

    class Meta:
        ordering = ["allocated_at", "id"]
        verbose_name = _("回款核销")
        verbose_name_plural = _("回款核销")
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="allocation_amount_positive")]


class InvoiceKind(models.TextChoices):
    SPECIAL = "special", _("数电发票（增值税专用发票）")
    ORDINARY = "ordinary", _("数电发票（普通发票）")


class InvoiceStatus(models.TextChoices):
    REQUESTED = "requested", _("待开票")
    ISSUED = "issued", _("已开票")
    REVERSED = "reversed", _("已红冲")
    WITHDRAWN = "withdrawn", _("已撤回")


class Invoice(models.Model):
    """An invoice request (开票申请) by the account manager, per order or per consignment, and the invoice finance
    issues for it (its 20-digit 数电 number and date). A red-letter invoice (红字) reverses an issued one: its
    lines are the blue one's, negated, and ``red_of`` points at it. Amounts are tax-inclusive; the tax is split
    out per line (see ``finance.invoices``) and the invoice's totals are the sums of its lines."""
    order = models.ForeignKey("orders.SalesOrder", verbose_name=_("订单"), on_delete=models.PROTECT, related_name="invoices")
    shipment = models.ForeignKey("orders.Shipment", verbose_name=_("发货批次"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="invoices")
    kind = models.CharField(_("发票类型"), max_length=20, choices=InvoiceKind.choices, default=InvoiceKind.SPECIAL)
    status = models.CharField(_("状态"), max_length=20, choices=InvoiceStatus.choices, default=InvoiceStatus.REQUESTED,
                              db_index=True)
    buyer_name = models.CharField(_("购买方名称"), max_length=200)
    buyer_tax_id = models.CharField(_("纳税人识别号"), max_length=18, validators=[validate_uscc])
    buyer_address_phone = models.CharField(_("地址、电话"), max_length=300, blank=True)
    buyer_bank_account = models.CharField(_("开户行及账号"), max_length=300, blank=True)
    remark = models.CharField(_("备注"), max_length=500, blank=True)
    amount = money(_("价税合计(元)"), default=ZERO)
    tax = money(_("税额(元)"), default=ZERO)
    net = money(_("金额(元)"), default=ZERO)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("申请人"), on_delete=models.PROTECT,
                                     related_name="+")
    requested_at = models.DateTimeField(_("申请时间"))
    number = models.CharField(_("发票号码"), max_length=20, null=True, blank=True, unique=True)
    issued_on = models.DateField(_("开票日期"), null=True, blank=True)
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("开票人"), null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="+")
    issued_at = models.DateTimeField(_("登记时间"), null=True, blank=True)
    red_of = models.OneToOneField("self", verbose_name=_("红冲的发票"), null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="red_letter")
    reason = models.CharField(_("红冲原因"), max_length=500, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        verbose_name = _("发票")
        verbose_name_plural = _("发票")

    def __str__(self):
        return self.number or f"#{self.pk}"


class InvoiceLine(models.Model):
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField(_("行号"))
    order_line = models.ForeignKey("orders.OrderLine", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    description = models.CharField(_("项目名称"), max_length=200)
    model = models.CharField(_("规格型号"), max_length=100, blank=True)
    unit = models.CharField(_("单位"), max_length=20, blank=True)
    quantity = models.DecimalField(_("数量"), max_digits=12, decimal_places=3)
    amount = money(_("价税合计(元)"))
    tax_rate = models.DecimalField(_("税率"), max_digits=4, decimal_places=2)  # 0.13, 0.06
    tax = money(_("税额(元)"))
    net = money(_("金额(元)"))

    class Meta:
        ordering = ["invoice", "position"]
        constraints = [models.UniqueConstraint(fields=["invoice", "position"], name="invoiceline_unique_position")]
