from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    INAPP = "inapp", _("站内消息")
    EMAIL = "email", _("邮件")
    ROBOT = "robot", _("群机器人")


# A customer's SMS (notifications.sms): the outbox's channel for it. Not among ``Channel``'s choices, which are the
# channels a colleague chooses among (their preferences); a customer is told by e-mail or SMS as their record says.
SMS = "sms"
OUTBOX_CHANNELS = [*Channel.choices, (SMS, _("短信"))]


# The kinds of notice a person may choose channels for (their events), as the preferences page lists them.
KINDS = {
    "order_received": _("新订单待初步审核"),
    "needs_info": _("订单待补充信息：联系客户"),
    "approval_requested": _("订单待审批"),
    "director_approval_requested": _("订单待总监审批"),
    "stock_check_requested": _("订单待确认库存"),
    "date_negotiation": _("交期待协商"),
    "order_confirmed": _("订单已确认：安排备货/生产"),
    "shipment_prepared": _("发货准备完成：安排发货"),
    "order_shipped": _("已发货：协助客户验收"),
    "follow_up_due": _("已交付：客户回访"),
    "ticket_opened": _("新售后问题"),
    "ticket_confirmation_requested": _("售后已处理：回访客户确认"),
    "risk_raised": _("延期风险"),
    "logistics_notice": _("物流预告"),
    "timer_breached:contact": _("超时提醒：联系客户"),
    "timer_breached:approval": _("超时提醒：审批"),
    "timer_breached:stock_check": _("超时提醒：确认库存"),
    "timer_breached:negotiation": _("超时提醒：交期协商"),
    "timer_breached:tracking": _("超时提醒：进度跟进"),
    "timer_breached:logistics_notice": _("超时提醒：物流预告"),
    "timer_breached:follow_up": _("超时提醒：交付回访"),
    "timer_breached:aftersales_response": _("超时提醒：售后响应"),
    "timer_breached:aftersales_resolution": _("超时提醒：售后处理"),
    "receivable_overdue": _("应收款逾期：催收"),
    "receivable_overdue:manager": _("应收款逾期上报：销售经理"),
    "receivable_overdue:director": _("应收款逾期上报：销售总监"),
    "invoice_requested": _("开票申请：开具发票"),
    "invoice_returned": _("开票申请被财务退回"),
    "qualification_submitted": _("客户资质待审核"),
    "qualification_decided": _("客户资质审核结果"),
    "review_overdue": _("月度复盘逾期"),
    "review_action_assigned": _("复盘优化措施"),
    "daily_digest": _("每日待办摘要"),
    "daily_rollup": _("团队每日汇总"),
    "calendar_alert": _("工作日历提醒"),
}


class Notification(models.Model):
    """The outbox: written in the transaction of the change that causes it,
    delivered afterwards by a worker, at least once, never twice for one key."""

    class State(models.TextChoices):
        PENDING = "pending", _("待发送")
        SENT = "sent", _("已发送")
        FAILED = "failed", _("发送失败")

    key = models.CharField(max_length=200, unique=True)
    event = models.CharField(_("事件"), max_length=60)
    channel = models.CharField(_("渠道"), max_length=10, choices=OUTBOX_CHANNELS)
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE,
                                  related_name="notifications")
    address = models.CharField(_("地址"), max_length=254, blank=True, help_text=_("邮箱地址、手机号，或群机器人编号"))
    robot = models.ForeignKey("notifications.ChatRobot", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    order = models.ForeignKey("orders.SalesOrder", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    subject = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(db_index=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    claim = models.CharField(max_length=32, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    digest = models.BooleanField(default=False, help_text=_("汇入收件人的每日邮件汇总"))

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"]),
            models.Index(fields=["recipient", "channel", "read_at"]),
        ]
        verbose_name = _("通知")
        verbose_name_plural = _("通知")

    def __str__(self):
        return f"{self.get_channel_display()} → {self.recipient or self.address}: {self.subject}"


class NotificationRoute(models.Model):
    """Who hears of an event, and how: editable by an admin."""

    event = models.CharField(_("事件"), max_length=60)
    role = models.CharField(_("接收角色"), max_length=30,
                            help_text=_("sales_manager、sales_director、account_manager、sales_assistant、warehouse、"
                                        "production、logistics、after_sales，或 customer（客户：按其通知方式发邮件或短信）"))
    channels = models.CharField(_("渠道"), max_length=60, default="inapp,email",
                                help_text=_("逗号分隔：inapp（站内）、email（邮件）、robot（团队群机器人）"))
    enabled = models.BooleanField(_("启用"), default=True)

    class Meta:
        ordering = ["event", "role"]
        constraints = [models.UniqueConstraint(fields=["event", "role"], name="route_unique_event_role")]
        verbose_name = _("通知规则")
        verbose_name_plural = _("通知规则")

    def __str__(self):
        return f"{self.event} → {self.role}: {self.channels}"

    @property
    def channel_list(self) -> list[str]:
        return [c.strip() for c in self.channels.split(",") if c.strip()]


class ChatRobot(models.Model):
    """A team chat group's robot webhook (WeCom, DingTalk, Feishu)."""

    class Kind(models.TextChoices):
        WECOM = "wecom", _("企业微信")
        DINGTALK = "dingtalk", _("钉钉")
        FEISHU = "feishu", _("飞书")

    name = models.CharField(_("名称"), max_length=100)
    team = models.ForeignKey("accounts.Team", verbose_name=_("团队"), null=True, blank=True, on_delete=models.CASCADE,
                             related_name="robots", help_text=_("留空表示全公司群"))
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices)
    webhook_url = models.URLField(_("Webhook 地址"), max_length=500)
    secret = models.CharField(_("加签密钥"), max_length=200, blank=True)
    keyword = models.CharField(_("关键词"), max_length=50, blank=True, help_text=_("钉钉/飞书安全设置中的自定义关键词"))
    per_minute = models.PositiveIntegerField(_("每分钟上限"), default=20)
    is_active = models.BooleanField(_("启用"), default=True)
    window_started_at = models.DateTimeField(null=True, blank=True, editable=False)
    window_count = models.PositiveIntegerField(default=0, editable=False)
    paused_until = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("群机器人")
        verbose_name_plural = _("群机器人")

    def __str__(self):
        return f"{self.get_kind_display()} {self.name}"


class NotificationPreference(models.Model):
    """One person's channels for one kind of notice (its event). No row: every channel its routes give. The
    team's chat group is not a person's choice: its routes are the administrator's (NotificationRoute)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences")
    event = models.CharField(_("事件"), max_length=60)
    inapp = models.BooleanField(_("站内消息"), default=True)
    email = models.BooleanField(_("邮件"), default=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "event"], name="preference_unique_user_event")]
        verbose_name = _("通知偏好")
        verbose_name_plural = _("通知偏好")

    def __str__(self):
        return f"{self.user} {self.event}: inapp={self.inapp} email={self.email}"


class MailDigest(models.Model):
    """A person who takes their e-mail notices as one mail a day (邮件汇总：每日一次) instead of one mail each."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mail_digest")
    daily = models.BooleanField(_("邮件汇总：每日一次"), default=False)

    class Meta:
        verbose_name = _("邮件汇总")
        verbose_name_plural = _("邮件汇总")
