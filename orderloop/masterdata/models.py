from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from orderloop.core.pinyin import pinyin_initials
from orderloop.masterdata.uscc import uscc_problem


def validate_uscc(value: str) -> None:
    problem = uscc_problem(value)
    if problem:
        raise ValidationError(problem)


def _fill_initials(record, save_kwargs: dict) -> None:
    """The pinyin initials of the record's name, kept with it so that search is a query, not a computation."""
    record.initials = pinyin_initials(record.name)
    fields = save_kwargs.get("update_fields")
    if fields is not None and "name" in fields and "initials" not in fields:
        save_kwargs["update_fields"] = [*fields, "initials"]


class Qualification(models.TextChoices):
    PENDING = "pending", _("待审核")
    QUALIFIED = "qualified", _("合格")
    UNQUALIFIED = "unqualified", _("不合格")


class NoticeChannel(models.TextChoices):
    """How the customer is told (物流预告, the rating link, a resolved ticket): by e-mail or by SMS."""

    EMAIL = "email", _("邮件")
    SMS = "sms", _("短信")


class Customer(models.Model):
    name = models.CharField(_("客户名称"), max_length=200, unique=True)
    code = models.CharField(_("客户编码"), max_length=30, blank=True, db_index=True,
                            help_text=_("贵司内部的客户编号，可用于搜索；留空即可"))
    uscc = models.CharField(_("统一社会信用代码"), max_length=18, blank=True, validators=[validate_uscc])
    address = models.CharField(_("地址"), max_length=300, blank=True)
    qualification = models.CharField(_("资质状态"), max_length=20, choices=Qualification.choices, default=Qualification.PENDING)
    business_licence = models.FileField(_("营业执照"), upload_to="licences/", blank=True)
    licence_expiry = models.DateField(_("营业执照有效期至"), null=True, blank=True)
    credit_record = models.TextField(_("信用记录"), blank=True)
    credit_report = models.FileField(_("征信报告"), upload_to="credit/", blank=True)
    qualification_submitted_at = models.DateTimeField(_("资质资料提交时间"), null=True, blank=True)
    qualification_submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("资质资料提交人"), null=True,
                                                   blank=True, on_delete=models.PROTECT, related_name="+")
    qualification_decided_at = models.DateTimeField(_("资质审核时间"), null=True, blank=True)
    qualification_decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("资质审核人"), null=True,
                                                 blank=True, on_delete=models.PROTECT, related_name="+")
    qualification_note = models.TextField(_("资质审核意见"), blank=True, help_text=_("不合格时必填原因"))
    credit_limit = models.DecimalField(
        "信用额度(元)", max_digits=14, decimal_places=2, default=Decimal("0.00"), validators=[MinValueValidator(Decimal("0"))],
        help_text=_("0 表示未设额度"),
    )
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("客户经理"), null=True, blank=True, on_delete=models.PROTECT, related_name="customers")
    payment_terms = models.CharField(_("付款方式"), max_length=200, blank=True,
                                     help_text=_("录入订单时默认带出，如 30%预付,余款到付"))
    payment_term = models.ForeignKey("masterdata.PaymentTerm", verbose_name=_("结构化付款条件"), null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="customers",
                                     help_text=_("按期次计算订单的付款计划；留空时按付款方式文字识别"))
    notice_channel = models.CharField(_("通知方式"), max_length=10, choices=NoticeChannel.choices, default=NoticeChannel.EMAIL,
                                      help_text=_("发给客户的物流预告、签收和评价链接：邮件或短信；没有邮箱时改发短信"))
    is_active = models.BooleanField(_("有效"), default=True, help_text=_("停用的客户不能再下新订单，历史订单不受影响"))
    initials = models.CharField(_("拼音首字母"), max_length=100, blank=True, db_index=True, editable=False)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("客户")
        verbose_name_plural = _("客户")

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        _fill_initials(self, kwargs)
        super().save(*args, **kwargs)

    @property
    def is_qualified(self) -> bool:
        return self.qualification == Qualification.QUALIFIED


class Contact(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="contacts", verbose_name=_("客户"))
    name = models.CharField(_("联系人"), max_length=50)
    phone = models.CharField(_("联系方式"), max_length=30, blank=True)
    email = models.EmailField(_("邮箱"), blank=True)
    is_primary = models.BooleanField(_("主要联系人"), default=False)

    class Meta:
        ordering = ["-is_primary", "id"]
        verbose_name = _("联系人")
        verbose_name_plural = _("联系人")

    def __str__(self):
        return self.name


class Product(models.Model):
    name = models.CharField(_("产品/服务名称"), max_length=200)
    model = models.CharField(_("规格型号"), max_length=100, unique=True)
    unit = models.CharField(_("单位"), max_length=20, default="台")
    list_price = models.DecimalField(_("单价(元)"), max_digits=14, decimal_places=2, validators=[MinValueValidator(Decimal("0"))])
    cost_price = models.DecimalField(_("成本价(元)"), max_digits=14, decimal_places=2, default=Decimal("0.00"), validators=[MinValueValidator(Decimal("0"))])
    is_active = models.BooleanField(_("在售"), default=True)
    initials = models.CharField(_("拼音首字母"), max_length=100, blank=True, db_index=True, editable=False)

    class Meta:
        ordering = ["model"]
        verbose_name = _("产品")
        verbose_name_plural = _("产品")

    def __str__(self):
        return f"{self.name} {self.model}"

    def save(self, *args, **kwargs):
        _fill_initials(self, kwargs)
        super().save(*args, **kwargs)


class StockLevel(models.Model):
    """On-hand and reserved quantity of a product in a warehouse."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="stock_levels", verbose_name=_("产品"))
    warehouse = models.CharField(_("仓库"), max_length=50, default="主仓库")
    on_hand = models.DecimalField(_("在库数量"), max_digits=14, decimal_places=3, default=Decimal("0"))
    reserved = models.DecimalField(_("已预留数量"), max_digits=14, decimal_places=3, default=Decimal("0"))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["product", "warehouse"], name="stock_unique_product_warehouse"),
            # the last guard of a reservation: nothing reserved beyond what is on hand, nothing negative
            models.CheckConstraint(condition=models.Q(reserved__gte=0) & models.Q(reserved__lte=models.F("on_hand")),
                                   name="stock_reserved_within_on_hand"),
        ]
        verbose_name = _("库存")
        verbose_name_plural = _("库存")

    def __str__(self):
        return f"{self.product} @ {self.warehouse}"

    @property
    def available(self) -> Decimal:
        return self.on_hand - self.reserved


class StockAdjustment(models.Model):
    """Every change of a stock level, with who, when and why."""

    stock = models.ForeignKey(StockLevel, on_delete=models.CASCADE, related_name="adjustments")
    on_hand_change = models.DecimalField(_("在库变动"), max_digits=14, decimal_places=3, default=Decimal("0"))
    reserved_change = models.DecimalField(_("预留变动"), max_digits=14, decimal_places=3, default=Decimal("0"))
    reason = models.CharField(_("原因"), max_length=300)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("时间"))

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("库存调整")
        verbose_name_plural = _("库存调整")


class StockReservation(models.Model):
    """Stock held for an order line confirmed as 现货 (in stock): counted in its level's ``reserved`` until the
    line ships (consumed), is short-closed or the order is cancelled (released). Written only by
    ``masterdata/stock.py``."""

    stock = models.ForeignKey(StockLevel, on_delete=models.PROTECT, related_name="reservations", verbose_name=_("库存"))
    order_line = models.ForeignKey("orders.OrderLine", on_delete=models.CASCADE, related_name="reservations",
                                   verbose_name=_("订单行"))
    quantity = models.DecimalField(_("预留数量"), max_digits=14, decimal_places=3)
    reserved_at = models.DateTimeField(_("预留时间"))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["order_line", "stock"], name="reservation_unique_line_stock"),
            models.CheckConstraint(condition=models.Q(quantity__gt=0), name="reservation_quantity_positive"),
        ]
        verbose_name = _("库存预留")
        verbose_name_plural = _("库存预留")

    def __str__(self):
        return f"{self.stock} × {self.quantity}"


class Trigger(models.TextChoices):
    """When an instalment of a payment term falls due (SPEC section 9, Money)."""
    ON_CONFIRMATION = "on_confirmation", _("确认订单时")
    BEFORE_SHIPMENT = "before_shipment", _("发货前")
    ON_DELIVERY = "on_delivery", _("到货/验收时")
    DAYS_AFTER_DELIVERY = "days_after_delivery", _("到货后N天")
    DAYS_AFTER_INVOICE = "days_after_invoice", _("开票后N天")
    FIXED_DATE = "fixed_date", _("指定日期")


class PaymentTerm(models.Model):
    """A structured payment term: instalments, each a percentage or a fixed amount of the order's total, due on a
    trigger. ``instalments`` is a list of {"percent" | "amount", "trigger", "days", "working_days", "date"},
    checked by ``masterdata.payment_terms.instalment_problems``."""
    name = models.CharField(_("付款条件"), max_length=100, unique=True)
    instalments = models.JSONField(_("分期"), default=list)
    is_active = models.BooleanField(_("有效"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("付款条件")
        verbose_name_plural = _("付款条件")

    def __str__(self):
        return self.name
