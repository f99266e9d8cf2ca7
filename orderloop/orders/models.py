from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from orderloop.core.prepared import PreparedQuery


class OrderStatus(models.TextChoices):
    RECEIVED = "received", _("已接收")
    NEEDS_INFO = "needs_info", _("待补充")
    PENDING_APPROVAL = "pending_approval", _("待审批")
    PENDING_DIRECTOR = "pending_director", _("待总监审批")
    PENDING_STOCK_CHECK = "pending_stock_check", _("待确认库存")
    DATE_NEGOTIATION = "date_negotiation", _("交期协商中")
    CONFIRMED = "confirmed", _("已确认")
    IN_FULFILLMENT = "in_fulfillment", _("备货/生产中")
    READY_TO_SHIP = "ready_to_ship", _("待发货")
    SHIPPED = "shipped", _("已发货")
    DELIVERED = "delivered", _("已交付")
    CLOSED = "closed", _("已完成")
    REJECTED = "rejected", _("已驳回")
    CANCELLED = "cancelled", _("已取消")


class Channel(models.TextChoices):
    WEB = "web", _("系统提交")
    API = "api", _("接口")
    EMAIL = "email", _("邮件")
    PAPER = "paper", _("书面")
    PHONE = "phone", _("电话")
    IMPORT = "import", _("表格导入")


class SalesOrder(models.Model):
    provisional_ref = models.CharField(_("临时编号"), max_length=20, unique=True)
    number = models.CharField(_("订单编号"), max_length=20, unique=True, null=True, blank=True)
    number_month = models.CharField(max_length=6, null=True, blank=True, editable=False)
    number_seq = models.PositiveIntegerField(null=True, blank=True, editable=False)
    status = models.CharField(_("订单状态"), max_length=30, choices=OrderStatus.choices, default=OrderStatus.RECEIVED, db_index=True)

    customer = models.ForeignKey("masterdata.Customer", verbose_name=_("客户名称"), on_delete=models.PROTECT, related_name="orders")
    contact_name = models.CharField(_("联系人"), max_length=50, blank=True)
    contact_phone = models.CharField(_("联系方式"), max_length=30, blank=True)
    order_date = models.DateField(_("下单日期"))
    channel = models.CharField(_("接收渠道"), max_length=20, choices=Channel.choices, default=Channel.WEB)
    payment_terms = models.CharField(_("付款方式"), max_length=200, blank=True)
    delivery_address = models.CharField(_("交付地址"), max_length=300, blank=True)
    requested_date = models.DateField(_("交付日期"), null=True, blank=True)
    promised_date = models.DateField(_("承诺交付日期"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("交付时间"), null=True, blank=True)
    archived_at = models.DateTimeField(_("归档时间"), null=True, blank=True)
    # brought in at its stage by the go-live import (上线导入, golive.orders): its history before is on paper,
    # and no approval of it was given in orderloop (docs/decisions.md)
    imported_at = models.DateTimeField(_("上线导入时间"), null=True, blank=True)
    special_requirements = models.TextField(_("特殊需求"), blank=True)
    special_terms = models.TextField(_("特殊条款"), blank=True)
    remarks = models.TextField(_("备注"), blank=True)
    total_amount = models.DecimalField(_("总金额(元)"), max_digits=14, decimal_places=2, default=Decimal("0.00"))

    # Its lines keep copies of its owner, enterer and customer (OrderLine.order_owner …), which the database gives
    # them when these change here, whichever code changes them (orders migration 0036).
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("销售负责人"), on_delete=models.PROTECT, related_name="owned_orders")
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("录入人"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="entered_orders",
                                   help_text=_("空：由系统从订单邮箱接收"))
    manager_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("经理审批人"), null=True, blank=True, on_delete=models.PROTECT, related_name="+",
    )
    version = models.PositiveIntegerField(_("版本"), default=1)
    # Never changed once the order exists: each line keeps a copy (OrderLine.order_created_at), by which the search
    # sorts its matches and tells one order from another (selectors.search_q); a change here would have to change it there.
    created_at = models.DateTimeField(_("创建时间"), db_index=True)
    updated_at = models.DateTimeField(_("更新时间"))

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["number_month", "number_seq"]), models.Index(fields=["status", "created_at"]),
            # the list's filters and sorts, each walked in order and stopped after a page (bench/http_load.py); the
            # "-number" sort (NULLS LAST, which SQLite's indexes do not take) and the search: migration 0018
            models.Index(fields=["customer", "created_at"], name="order_customer_created_idx"),
            models.Index(fields=["owner", "created_at"], name="order_owner_created_idx"),
            # the working list (not archived) by status, or by owner and status: only its orders, with the columns
            # the visibility tests (PostgreSQL: INCLUDE), so that its count reads the index alone and its page walks
            # it newest first; the whole table's indexes walked every working order to find a rare status's few
            # (at 1,000,000 orders 46 ms, and 172 ms for an owner none of whose orders the user sees)
            models.Index(fields=["status", "created_at"], include=["id", "owner", "entered_by", "customer"],
                         condition=models.Q(archived_at__isnull=True), name="order_working_status_idx"),
            models.Index(fields=["owner", "status", "created_at"], include=["id", "entered_by", "customer"],
                         condition=models.Q(archived_at__isnull=True), name="order_working_owner_idx"),
            # and by customer: a key account's thousands of orders, most archived, were each read from the table to
            # find its working few (at 1,000,000 orders 0.5 ms to count a customer's 214 of 815; 0.06 ms on this index)
            models.Index(fields=["customer", "created_at"], include=["id", "owner", "entered_by", "status"],
                         condition=models.Q(archived_at__isnull=True), name="order_working_customer_idx"),
            models.Index(fields=["total_amount"], name="order_total_amount_idx"),
            models.Index(fields=["requested_date"], name="order_requested_date_idx"),
            # the monthly review: the month's orders and the ones delivered in it (bench/review.py)
            models.Index(fields=["order_date"], name="order_order_date_idx"),
            models.Index(fields=["delivered_at"], name="order_delivered_at_idx"),
        ]
        verbose_name = _("销售订单")
        verbose_name_plural = _("销售订单")

    def __str__(self):
        return self.ref

    @property
    def ref(self) -> str:
        return self.number or self.provisional_ref

    @property
    def cost_amount(self) -> Decimal:
        cost = sum((line.cost_price * line.quantity for line in self.lines.all()), Decimal("0.00"))
        return cost.quantize(Decimal("0.01"))

    @property
    def margin(self) -> Decimal | None:
        """(amount − cost) / amount, exact; rules compare this, pages round it for display."""
        if not self.total_amount:
            return None
        return (self.total_amount - self.cost_amount) / self.total_amount


class Availability(models.TextChoices):
    IN_STOCK = "in_stock", _("现货")
    SHORT = "short", _("缺货")
    NEEDS_PRODUCTION = "needs_production", _("需生产")


# What a line keeps of its order for the search, carried by the lines' name indexes (index-only on PostgreSQL).
LINE_COPIES = ["order_created_at", "order_owner", "order_entered_by", "order_customer"]


class OrderLine(models.Model):
    order = models.ForeignKey(SalesOrder, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField(_("行号"))
    product = models.ForeignKey("masterdata.Product", verbose_name=_("产品"), on_delete=models.PROTECT, related_name="+")
    product_name = models.CharField(_("产品/服务名称"), max_length=200)
    model = models.CharField(_("规格型号"), max_length=100)
    unit = models.CharField(_("单位"), max_length=20, default="台")
    quantity = models.DecimalField(_("数量"), max_digits=12, decimal_places=3)
    unit_price = models.DecimalField(_("单价(元)"), max_digits=14, decimal_places=2)
    amount = models.DecimalField(_("金额(元)"), max_digits=14, decimal_places=2)
    cost_price = models.DecimalField(_("成本价(元)"), max_digits=14, decimal_places=2, default=Decimal("0.00"))
    requested_date = models.DateField(_("要求交付日期"), null=True, blank=True)
    availability = models.CharField(_("库存状态"), max_length=20, choices=Availability.choices, blank=True)
    lead_time_days = models.PositiveIntegerField(_("生产周期(工作日)"), null=True, blank=True)
    feasible_date = models.DateField(_("可交付日期"), null=True, blank=True)
    agreed_date = models.DateField(_("约定交付日期"), null=True, blank=True)
    short_closed_quantity = models.DecimalField(_("短交关闭数量"), max_digits=12, decimal_places=3, default=Decimal("0"))
    short_close_reason = models.CharField(_("短交原因"), max_length=500, blank=True)
    # 1: what was ordered; 2, 3, …: quantity added after the goods were prepared (待发货 or later), each part
    # confirmed, prepared, shipped and accepted on its own (orders.lines.open_lines)
    part = models.PositiveSmallIntegerField(_("部分"), default=1)
    # The order's created_at (which never changes), copied when the line is built (lines.build_line): the search
    # reads a line's order and its place in the newest-first list from the line's index alone (selectors.search_q).
    order_created_at = models.DateTimeField(editable=False)
    # The order's owner, enterer and customer, which can change: the database copies them whenever a line is
    # written or they change on the order (triggers of orders migration 0036), whichever code writes. The search
    # tells which of a name's lines a salesperson may see from the lines' index alone (access.visible_lines_q).
    order_owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, editable=False, on_delete=models.DO_NOTHING,
                                    db_constraint=False, db_index=False, related_name="+")
    order_entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, editable=False, on_delete=models.DO_NOTHING,
                                         db_constraint=False, db_index=False, related_name="+")
    order_customer = models.ForeignKey("masterdata.Customer", null=True, editable=False, on_delete=models.DO_NOTHING,
                                       db_constraint=False, db_index=False, related_name="+")

    class Meta:
        ordering = ["position", "id"]
        # Triggers keep LineName as lines are written (orders migration 0034) and the order's copies above (0036);
        # on SQLite a table's rebuild keeps them (core.sqlite3.schema).
        indexes = [  # the search's lines by the name they were ordered under (LineName), index-only on PostgreSQL
            models.Index(fields=["model", "order"], include=LINE_COPIES, name="orderline_model_idx"),
            models.Index(fields=["product_name", "order"], include=LINE_COPIES, name="orderline_product_name_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["order", "position"], name="orderline_unique_position"),
            models.CheckConstraint(condition=models.Q(quantity__gt=0), name="orderline_quantity_positive"),
            models.CheckConstraint(condition=models.Q(unit_price__gte=0), name="orderline_price_not_negative"),
        ]
        verbose_name = _("订单行")
        verbose_name_plural = _("订单行")

    def __str__(self):
        return f"{self.product_name} {self.model} × {self.quantity}"

    @property
    def open_quantity(self) -> Decimal:
        return self.quantity - self.short_closed_quantity


class LineName(models.Model):
    """Each text a line was ordered under — its model, its product name — once. The order search matches a term
    against these (hundreds, where the lines are millions) and then finds the lines by the names it matched
    (selectors.search_q). The database keeps them as lines are written, whichever code writes them (a trigger of
    migration 0034); a name no line has any more stays and finds nothing."""

    name = models.CharField(max_length=200, primary_key=True)

    def __str__(self):
        return self.name


class EventType(models.TextChoices):
    """What happened on an order's timeline (``OrderEvent.type``): one member per lifecycle action (its label is
    the action's), and the events no action causes."""

    RECEIVED = "received", _("接收订单")
    UPDATED = "updated", _("修改订单")
    REVIEWED = "reviewed", _("初步审核")
    CONTACT_LOGGED = "contact_logged", _("记录沟通")
    SUPPLEMENTED = "supplemented", _("补充信息")
    APPROVED = "approved", _("审批通过")
    APPROVAL_REJECTED = "approval_rejected", _("审批驳回")
    STOCK_CONFIRMED = "stock_confirmed", _("确认库存")
    DATE_AGREED = "date_agreed", _("确认交期")
    FULFILLMENT_STARTED = "fulfillment_started", _("开始备货/生产")
    PROGRESS_TRACKED = "progress_tracked", _("进度跟进")
    RISK_RAISED = "risk_raised", _("上报风险")
    RISK_RESOLVED = "risk_resolved", _("解决风险")
    SHIPMENT_PREPARED = "shipment_prepared", _("发货准备")
    SHIPPED = "shipped", _("发货")
    ACCEPTED = "accepted", _("客户验收")
    RECEIPT_CONFIRMED = "receipt_confirmed", _("客户签收")
    FOLLOWED_UP = "followed_up", _("客户回访")
    CLOSED = "closed", _("完成订单")
    AMENDED = "amended", _("变更订单")
    SHORT_CLOSED = "short_closed", _("短交关闭")
    CANCELLED = "cancelled", _("取消订单")
    PAYMENT_WAIVED = "payment_waived", _("付款放行")
    WRITTEN_OFF = "written_off", _("尾款核销")
    LOGISTICS_NOTICE_SENT = "logistics_notice_sent", _("物流预告已发送")
    LOGISTICS_NOTICE_FAILED = "logistics_notice_failed", _("物流预告未能发送")
    PHONE_NOTICE = "phone_notice", _("已电话通知")
    TICKET_OPENED = "ticket_opened", _("登记售后问题")
    TICKET_RESPONDED = "ticket_responded", _("售后响应")
    TICKET_SOLUTION_GIVEN = "ticket_solution_given", _("售后解决方案")
    TICKET_RESOLVED = "ticket_resolved", _("售后处理结果")
    TICKET_FOLLOWED_UP = "ticket_followed_up", _("售后回访客户")
    TICKET_CLOSED = "ticket_closed", _("客户反馈已关闭")
    IMPORTED = "imported", _("上线导入")


class OrderEvent(models.Model):
    """The order timeline: append-only, one row per action; written only by ``orders.events``."""

    order = models.ForeignKey(SalesOrder, on_delete=models.CASCADE, related_name="events")
    type = models.CharField(_("事件"), max_length=40, choices=EventType.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    occurred_at = models.DateTimeField(_("时间"))
    from_status = models.CharField(max_length=30, blank=True)
    to_status = models.CharField(max_length=30, blank=True)
    payload = models.JSONField(default=dict)

    class Meta:
        ordering = ["occurred_at", "id"]
        indexes = [models.Index(fields=["order", "occurred_at"]),
                   # the monthly review's 付款放行 and 尾款核销: a few rows among every order's events
                   models.Index(fields=["occurred_at"], name="orderevent_money_idx",
                                condition=models.Q(type__in=[EventType.PAYMENT_WAIVED, EventType.WRITTEN_OFF]))]
        verbose_name = _("订单事件")
        verbose_name_plural = _("订单事件")

    def __str__(self):
        return f"{self.order_id} {self.type}"


class RiskType(models.TextChoices):
    MATERIAL_SHORTAGE = "material_shortage", _("原材料短缺")
    EQUIPMENT_FAILURE = "equipment_failure", _("设备故障")
    LOGISTICS_DELAY = "logistics_delay", _("物流延迟")
    CUSTOMER_CHANGE = "customer_change", _("客户变更")
    OTHER = "other", _("其他")


class Mitigation(models.TextChoices):
    PRIORITISE_PRODUCTION = "prioritise_production", _("协调优先生产")
    NEGOTIATE_DELAY = "negotiate_delay", _("与客户协商延期")
    OTHER = "other", _("其他")


class Risk(models.Model):
    order = models.ForeignKey(SalesOrder, on_delete=models.CASCADE, related_name="risks")
    risk_type = models.CharField(_("风险类型"), max_length=30, choices=RiskType.choices)
    description = models.TextField(_("风险描述"))
    raised_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True)
    raised_at = models.DateTimeField(_("发现时间"))
    mitigation_type = models.CharField(_("解决方式"), max_length=30, choices=Mitigation.choices, blank=True)
    mitigation = models.TextField(_("解决措施"), blank=True)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    resolved_at = models.DateTimeField(_("解决时间"), null=True, blank=True)

    class Meta:
        ordering = ["raised_at", "id"]
        indexes = [models.Index(fields=["raised_at"], name="risk_raised_at_idx")]  # the monthly review
        verbose_name = _("延期风险")
        verbose_name_plural = _("延期风险")

    def __str__(self):
        return f"{self.get_risk_type_display()}: {self.description[:40]}"

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None


class ShippingMethod(models.TextChoices):
    EXPRESS = "express", _("快递")
    LESS_THAN_TRUCKLOAD = "less_than_truckload", _("零担")
    TRUCKLOAD = "truckload", _("整车运输")
    PICKUP = "pickup", _("自提")
    OTHER = "other", _("其他")


class Shipment(models.Model):
    """One consignment of an order (发货批次): its lines, carrier and tracking number, and its receipt."""

    order = models.ForeignKey(SalesOrder, on_delete=models.CASCADE, related_name="shipments")
    position = models.PositiveSmallIntegerField(_("批次"))
    method = models.CharField(_("物流方式"), max_length=30, choices=ShippingMethod.choices)
    carrier = models.CharField(_("承运商"), max_length=100)
    tracking_number = models.CharField(_("物流单号"), max_length=100)
    eta = models.DateField(_("预计送达时间"))
    shipped_at = models.DateTimeField(_("发货时间"))
    shipped_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    notice_sent_at = models.DateTimeField(_("物流预告时间"), null=True, blank=True)
    notice_problem = models.CharField(_("物流预告未能发送的原因"), max_length=300, blank=True)
    accepted_at = models.DateTimeField(_("验收时间"), null=True, blank=True)
    received_at = models.DateTimeField(_("签收时间"), null=True, blank=True)
    received_by_name = models.CharField(_("签收人"), max_length=100, blank=True)
    receipt_via = models.CharField(_("签收方式"), max_length=10, blank=True)  # scan | link
    # the IP address the customer's receipt link was confirmed from (系统回执): a network address, not a place
    receipt_address = models.GenericIPAddressField(_("回执确认IP"), null=True, blank=True)
    receipt_remark = models.TextField(_("客户签收备注"), blank=True)

    class Meta:
        ordering = ["position", "id"]
        constraints = [models.UniqueConstraint(fields=["order", "position"], name="shipment_position_unique")]
        verbose_name = _("发货批次")
        verbose_name_plural = _("发货批次")

    def __str__(self):
        return f"{self.order_id} #{self.position} {self.tracking_number}"


class AcceptanceItem(models.Model):
    """One check of a consignment's acceptance (验收): 数量, 规格 or 外观, answered 合格 or 不合格; a 不合格 one
    has its note, and the after-sales ticket it opened (its photos are the ticket's)."""

    class Item(models.TextChoices):
        QUANTITY = "quantity", _("数量")
        SPEC = "spec", _("规格")
        APPEARANCE = "appearance", _("外观")

    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="acceptance_items")
    item = models.CharField(_("验收项目"), max_length=20, choices=Item.choices)
    passed = models.BooleanField(_("合格"))
    note = models.TextField(_("说明"), blank=True)
    ticket = models.ForeignKey("aftersales.Ticket", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["shipment", "id"]
        constraints = [models.UniqueConstraint(fields=["shipment", "item"], name="acceptance_item_unique")]
        verbose_name = _("验收项目")
        verbose_name_plural = _("验收项目")

    def __str__(self):
        return f"{self.shipment_id} {self.item} {'ok' if self.passed else 'fail'}"


class ShipmentLine(models.Model):
    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey(OrderLine, on_delete=models.CASCADE, related_name="shipped")
    quantity = models.DecimalField(_("数量"), max_digits=12, decimal_places=3)

    class Meta:
        ordering = ["order_line__position", "id"]


class VisitChannel(models.TextChoices):
    PHONE = "phone", _("电话")
    EMAIL = "email", _("邮件")
    VISIT = "visit", _("上门")
    WECHAT = "wechat", _("微信")
    LINK = "link", _("客户在线评价")


class FollowUpVisit(models.Model):
    """客户满意度回访表: opened when the order is delivered, due by the end of the 3rd working day."""

    order = models.OneToOneField(SalesOrder, on_delete=models.CASCADE, related_name="visit")
    due_at = models.DateTimeField(_("回访截止时间"))
    done_at = models.DateTimeField(_("回访时间"), null=True, blank=True)
    channel = models.CharField(_("回访方式"), max_length=20, choices=VisitChannel.choices, blank=True)
    usage = models.TextField(_("产品使用情况"), blank=True)
    satisfaction = models.PositiveSmallIntegerField(_("客户满意度评分(1-5分)"), null=True, blank=True)
    aftersales_need = models.TextField(_("售后需求"), blank=True)
    visited_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("回访人"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    rated_by_name = models.CharField(_("评价人"), max_length=100, blank=True)
    rated_from = models.GenericIPAddressField(_("评价来源IP"), null=True, blank=True)

    class Meta:
        verbose_name = _("客户满意度回访")
        verbose_name_plural = _("客户满意度回访")

    def __str__(self):
        return f"{self.order_id} {self.satisfaction or ''}"


class IdempotencyKey(models.Model):
    """Remembers what an API create with an ``Idempotency-Key`` produced."""

    key = models.CharField(max_length=200)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    request_hash = models.CharField(max_length=64)
    order = models.ForeignKey(SalesOrder, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idempotency_unique_key")]


class TimerKind(models.TextChoices):
    CONTACT = "contact", _("联系客户")
    APPROVAL = "approval", _("审批")
    STOCK_CHECK = "stock_check", _("确认库存")
    NEGOTIATION = "negotiation", _("交期协商")
    TRACKING = "tracking", _("进度跟进")
    RISK = "risk", _("风险上报")
    LOGISTICS_NOTICE = "logistics_notice", _("物流预告")
    FOLLOW_UP = "follow_up", _("交付回访")
    AFTERSALES_RESPONSE = "aftersales_response", _("售后响应")
    AFTERSALES_RESOLUTION = "aftersales_resolution", _("售后处理")


class TimerState(models.TextChoices):
    RUNNING = "running", _("进行中")
    MET = "met", _("已按时完成")
    BREACHED = "breached", _("已超时")
    STOPPED = "stopped", _("已停止")


class OrderTimer(models.Model):
    """A deadline of SPEC section 3 on one order: its due time, and whether it was met. A ticket's deadlines name
    the ticket, and no order when the feedback concerns none (a pre-sales question)."""

    order = models.ForeignKey(SalesOrder, null=True, blank=True, on_delete=models.CASCADE, related_name="timers",
                              help_text=_("空：不关联订单的客户反馈的期限"))
    ticket = models.ForeignKey("aftersales.Ticket", null=True, blank=True, on_delete=models.CASCADE, related_name="timers")
    shipment = models.ForeignKey(Shipment, null=True, blank=True, on_delete=models.CASCADE, related_name="timers")
    kind = models.CharField(_("期限"), max_length=30, choices=TimerKind.choices)
    started_at = models.DateTimeField(_("开始时间"))
    due_at = models.DateTimeField(_("截止时间"), db_index=True)
    state = models.CharField(_("状态"), max_length=10, choices=TimerState.choices, default=TimerState.RUNNING)
    met_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    breached_at = models.DateTimeField(_("超时时间"), null=True, blank=True)
    stopped_at = models.DateTimeField(null=True, blank=True)
    escalate_to = models.CharField(_("超时通知"), max_length=30, blank=True)
    estimated = models.BooleanField(_("按估算日历"), default=False)
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["due_at", "id"]
        indexes = [models.Index(fields=["state", "due_at"])]
        verbose_name = _("期限")
        verbose_name_plural = _("期限")

    def __str__(self):
        return f"{self.order_id} {self.kind} {self.state}"

    @property
    def escalate_to_label(self) -> str:
        from orderloop.accounts.roles import Role

        return Role(self.escalate_to).label if self.escalate_to in Role.values else ""

    @property
    def is_open(self) -> bool:
        return self.state in (TimerState.RUNNING, TimerState.BREACHED) and self.met_at is None and self.stopped_at is None


class Attachment(models.Model):
    """A file kept with an order: the source mail, its attachments, a scan of a paper order."""

    class Kind(models.TextChoices):
        SOURCE_MAIL = "source_mail", _("原始邮件")
        MAIL_ATTACHMENT = "mail_attachment", _("邮件附件")
        SCAN = "scan", _("书面订单扫描件")
        QC_REPORT = "qc_report", _("质检报告")
        PHOTO = "photo", _("验收照片")
        RECEIPT = "receipt", _("签收单扫描件")

    order = models.ForeignKey(SalesOrder, on_delete=models.CASCADE, related_name="attachments")
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices)
    shipment = models.ForeignKey("Shipment", null=True, blank=True, on_delete=models.SET_NULL, related_name="attachments")
    ticket = models.ForeignKey("aftersales.Ticket", null=True, blank=True, on_delete=models.SET_NULL, related_name="photos")
    file = models.FileField(_("文件"), upload_to="orders/%Y/%m/")
    filename = models.CharField(_("文件名"), max_length=255)
    content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveIntegerField(default=0)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField()

    class Meta:
        ordering = ["uploaded_at", "id"]
        verbose_name = _("附件")
        verbose_name_plural = _("附件")

    def __str__(self):
        return self.filename


class IncomingMail(models.Model):
    """A mail that arrived in the order mailbox or was uploaded: it becomes an order once its customer is known."""

    class State(models.TextChoices):
        WAITING = "waiting", _("待匹配客户")
        CONVERTED = "converted", _("已生成订单")
        IGNORED = "ignored", _("已忽略")
        REFUSED = "refused", _("未能接收")

    message_id = models.CharField(max_length=300, blank=True, db_index=True)
    sender = models.CharField(_("发件人"), max_length=300)
    subject = models.CharField(_("主题"), max_length=300, blank=True)
    received_at = models.DateTimeField(_("接收时间"))
    raw = models.FileField(upload_to="mail/%Y/%m/")
    state = models.CharField(_("状态"), max_length=10, choices=State.choices, default=State.WAITING)
    order = models.ForeignKey(SalesOrder, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # The customer the sender was matched to (or the order's): the mail is that customer's team's to take in;
    # a mail matched to no customer is every team's (orders.mail.mails_visible_to).
    customer = models.ForeignKey("masterdata.Customer", verbose_name=_("客户"), null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="+")
    reason = models.CharField(_("原因"), max_length=500, blank=True)  # why a refused mail was not taken in

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("订单邮件")
        verbose_name_plural = _("订单邮件")

    def __str__(self):
        return f"{self.sender}: {self.subject}"


class ApprovalPolicy(models.Model):
    """The director rule, as an admin sets it (one row). The amount follows the seed: "若涉及大额订单(如超过万元)
    或特殊条款,需上报销售总监最终审批" — over 10,000.00 yuan, strictly greater (exactly 10,000.00 needs no director)."""

    DEFAULT_DIRECTOR_THRESHOLD = Decimal("10000.00")

    director_threshold = models.DecimalField(_("总监审批金额（超过，元）"), max_digits=14, decimal_places=2,
                                             default=DEFAULT_DIRECTOR_THRESHOLD, validators=[MinValueValidator(Decimal("0"))],
                                             help_text=_("大额订单（超过万元，默认 10,000 元）需总监审批；金额恰好等于此数时不需要"))
    margin_floor = models.DecimalField(_("最低利润率"), max_digits=5, decimal_places=4, default=Decimal("0.1000"),
                                       help_text=_("如 0.1000 表示 10%；低于此利润率的订单须总监审批"))
    special_terms_need_director = models.BooleanField(_("特殊条款须总监审批"), default=True)
    credit_limit_needs_director = models.BooleanField(_("超出信用额度须总监审批"), default=True)

    class Meta:
        verbose_name = _("审批规则")
        verbose_name_plural = _("审批规则")

    def __str__(self):
        return str(_("审批规则"))

    @classmethod
    def current(cls) -> "ApprovalPolicy":
        return next(iter(_APPROVAL_POLICY.all()), None) or cls()


_APPROVAL_POLICY = PreparedQuery(ApprovalPolicy, lambda: ApprovalPolicy.objects.order_by("pk")[:1], params=0)


class DeadlineSetting(models.Model):
    """A deadline of SPEC section 3 as the company set it after a monthly review (提出优化措施并更新模板): its length
    in the unit the deadline is counted in (settings.ORDERLOOP_SLA says which). A deadline without a row keeps the
    installation's default; a change applies to deadlines started after it."""

    kind = models.CharField(_("期限"), max_length=30, unique=True)  # a key of settings.ORDERLOOP_SLA
    amount = models.DecimalField(_("时长"), max_digits=6, decimal_places=2)

    class Meta:
        verbose_name = _("期限设置")
        verbose_name_plural = _("期限设置")

    def __str__(self):
        return self.kind


class StageTemplate(models.Model):
    """A plan for stocking or production (e.g. 备货, 生产 N 天, 包装 N 天, 质检), edited by an admin."""

    name = models.CharField(_("名称"), max_length=50, unique=True)
    is_default = models.BooleanField(_("默认"), default=False)

    class Meta:
        verbose_name = _("备货/生产环节模板")
        verbose_name_plural = _("备货/生产环节模板")

    def __str__(self):
        return self.name


class StageTemplateStep(models.Model):
    template = models.ForeignKey(StageTemplate, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField(_("顺序"))
    name = models.CharField(_("环节"), max_length=50)
    working_days = models.PositiveIntegerField(_("工作日"), default=1)
    owner_role = models.CharField(_("负责角色"), max_length=30, default="warehouse")

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("环节")
        verbose_name_plural = _("环节")


class FulfillmentStage(models.Model):
    """One stage of an order's stocking or production plan (生产备货进度表)."""

    order = models.ForeignKey(SalesOrder, on_delete=models.CASCADE, related_name="stages")
    position = models.PositiveSmallIntegerField(_("顺序"))
    name = models.CharField(_("环节"), max_length=50)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("负责人"), null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+")
    planned_date = models.DateField(_("计划完成时间"))
    actual_date = models.DateField(_("实际完成时间"), null=True, blank=True)
    superseded = models.BooleanField(default=False, help_text=_("被重新开始的计划取代"))

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("备货/生产环节")
        verbose_name_plural = _("备货/生产环节")

    def __str__(self):
        return f"{self.order_id} {self.name}"

    @property
    def is_done(self) -> bool:
        return self.actual_date is not None


class SavedFilter(models.Model):
    """A filter of the order list or a register saved by a user under a name (保存筛选), to pick it again."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_filters")
    page = models.CharField(_("页面"), max_length=20)  # "list" (订单列表) or a register's name
    name = models.CharField(_("名称"), max_length=40)
    query = models.CharField(_("筛选条件"), max_length=1000, blank=True)  # the query string, without the page
    created_at = models.DateTimeField(_("保存时间"))

    class Meta:
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["user", "page", "name"], name="saved_filter_name_per_page")]
        verbose_name = _("已保存的筛选")
        verbose_name_plural = _("已保存的筛选")

    def __str__(self):
        return self.name


class PaperReading(models.Model):
    """A scan or photo of a paper order being read into a draft (orders/reading/): the file, the worker's progress
    page by page, and what was read (``result``: the pages' images and sizes, every field with its confidence,
    box and flags, the draft). Only the user who uploaded it sees it; it becomes an order only when they confirm."""

    class State(models.TextChoices):
        WAITING = "waiting", _("排队中")
        READING = "reading", _("识别中")
        READ = "read", _("已识别")
        FAILED = "failed", _("识别失败")

    file = models.FileField(_("文件"), upload_to="paper/%Y/%m/")
    filename = models.CharField(_("文件名"), max_length=255)
    content_type = models.CharField(max_length=100)
    state = models.CharField(_("状态"), max_length=10, choices=State.choices, default=State.WAITING)
    pages_done = models.PositiveSmallIntegerField(default=0)
    pages_total = models.PositiveSmallIntegerField(default=0)
    result = models.JSONField(default=dict, blank=True)
    reason = models.CharField(_("原因"), max_length=500, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField()
    order = models.ForeignKey(SalesOrder, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("纸质订单识别")
        verbose_name_plural = _("纸质订单识别")


# --- whether an order has rows of a relation, read with the order ---------------------------------------------

def rows_exist(name: str) -> models.Exists:
    """``EXISTS`` of the order's rows of relation ``name`` (its ``related_name``: "shipments", "instalments"…), to
    annotate an order read as ``has_<name>``: the statement that would fetch them is skipped when there are none."""
    related = SalesOrder._meta.get_field(name).related_model  # the apps above orders (finance, aftersales) unnamed
    return models.Exists(related.objects.filter(order=models.OuterRef("pk")))


def has_rows(order, name: str) -> bool:
    """Whether ``order`` may have rows of relation ``name``: False only when it was read with ``has_<name>`` and
    there were none (whoever adds the first row in the same transaction sets it)."""
    return getattr(order, f"has_{name}", True)


def rows_read(order, name: str, query) -> list:
    """The order's rows of relation ``name``: those read with it for its page (``order.page_rows``, order_get's
    ``for_page``), or else by ``query`` (a PreparedQuery of the order's id); none, and no statement, when it is known
    to have none (has_rows)."""
    page_rows = getattr(order, "page_rows", None)
    if page_rows is not None and name in page_rows:
        return page_rows[name]
    return query.all(order.pk) if has_rows(order, name) else []


def keep_rows(order, name: str, rows: list):
    """Let ``order.<name>.all()`` answer ``rows`` (all of the order's rows of relation ``name``, in their order)
    without a query, each row knowing its order, as ``prefetch_related(name)`` would."""
    field = getattr(type(order), name).field
    for row in rows:
        field.set_cached_value(row, order)
    queryset = getattr(order, name).get_queryset()
    queryset._result_cache, queryset._prefetch_done = rows, True
    if not hasattr(order, "_prefetched_objects_cache"):
        order._prefetched_objects_cache = {}
    order._prefetched_objects_cache[name] = queryset
    return order
