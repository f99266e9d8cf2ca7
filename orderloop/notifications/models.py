from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    INAPP = "inapp", _("站内消息")
    EMAIL = "email", _("邮件")
    ROBOT = "robot", _("群机器人")


class Notification(models.Model):
    """The outbox: written in the transaction of the change that causes it,
    delivered afterwards by a worker, at least once, never twice for one key."""

    class State(models.TextChoices):
        PENDING = "pending", _("待发送")
        SENT = "sent", _("已发送")
        FAILED = "failed", _("发送失败")

    key = models.CharField(max_length=200, unique=True)
    event = models.CharField(_("事件"), max_length=60)
    channel = models.CharField(_("渠道"), max_length=10, choices=Channel.choices)
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE,
                                  related_name="notifications")
    address = models.CharField(_("地址"), max_length=254, blank=True, help_text=_("邮箱地址，或群机器人编号"))
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
                                        "production、logistics、after_sales，或 customer（客户联系人邮箱）"))
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
