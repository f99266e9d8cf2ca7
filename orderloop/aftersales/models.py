from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class TicketType(models.TextChoices):
    PRESALES = "presales", _("售前疑问")
    QUALITY = "quality", _("产品质量")
    INSTALLATION = "installation", _("安装指导")
    DELIVERY_TIME = "delivery_time", _("交付时效")
    DAMAGE = "damage", _("破损")
    WRONG_MODEL = "wrong_model", _("型号不符")
    WRONG_QUANTITY = "wrong_quantity", _("数量不符")
    COMPLAINT = "complaint", _("投诉")
    SUGGESTION = "suggestion", _("建议")
    OTHER = "other", _("其他")


# Feedback that may be recorded against a customer alone, without an order (seed principle 3: 售前疑问 …).
WITHOUT_ORDER = (TicketType.PRESALES, TicketType.COMPLAINT, TicketType.SUGGESTION, TicketType.OTHER)


class SolutionType(models.TextChoices):
    REPAIR = "repair", _("维修")
    REPLACE = "replace", _("换货")
    REFUND = "refund", _("退款")
    GUIDANCE = "guidance", _("指导")
    OTHER = "other", _("其他")


class TicketState(models.TextChoices):
    OPEN = "open", _("待响应")
    RESPONDED = "responded", _("已响应")
    SOLUTION_GIVEN = "solution_given", _("处理中")
    RESOLVED = "resolved", _("待客户确认")
    CLOSED = "closed", _("已关闭")


class Ticket(models.Model):
    """Customer feedback of any kind and its handling (客户反馈与售后记录): a response within 24 hours, a solution
    with a promised time, the result, and the customer's confirmation before it closes. Always a customer's;
    an order's when it is about one (in any state), none for a pre-sales question, a complaint or a suggestion
    that concerns no order."""

    customer = models.ForeignKey("masterdata.Customer", verbose_name=_("客户"), on_delete=models.PROTECT,
                                 related_name="tickets")
    order = models.ForeignKey("orders.SalesOrder", verbose_name=_("订单"), null=True, blank=True, on_delete=models.PROTECT,
                              related_name="tickets")
    ticket_type = models.CharField(_("反馈类型"), max_length=20, choices=TicketType.choices)
    description = models.TextField(_("反馈内容"))
    state = models.CharField(_("状态"), max_length=20, choices=TicketState.choices, default=TicketState.OPEN)
    opened_at = models.DateTimeField(_("反馈时间"))
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                  help_text=_("空：客户通过评价链接提出"))
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("处理负责人"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="assigned_tickets")
    first_response_at = models.DateTimeField(_("首次响应时间"), null=True, blank=True)
    response_note = models.TextField(_("响应记录"), blank=True)
    solution_type = models.CharField(_("处理措施"), max_length=20, choices=SolutionType.choices, blank=True)
    solution = models.TextField(_("解决方案"), blank=True)
    promised_at = models.DateTimeField(_("承诺完成时间"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("解决时间"), null=True, blank=True)
    result = models.TextField(_("处理结果"), blank=True)
    followed_up_at = models.DateTimeField(_("跟进日期"), null=True, blank=True)
    customer_confirmed = models.BooleanField(_("客户确认已解决"), default=False)
    customer_satisfaction = models.PositiveSmallIntegerField(_("客户满意度评分(1-5分)"), null=True, blank=True)
    follow_up_note = models.TextField(_("回访记录"), blank=True)
    closed_at = models.DateTimeField(_("关闭时间"), null=True, blank=True)

    class Meta:
        ordering = ["-opened_at", "-id"]
        indexes = [models.Index(fields=["opened_at"], name="ticket_opened_at_idx")]  # the monthly review
        verbose_name = _("售后工单")
        verbose_name_plural = _("售后工单")

    def __str__(self):
        return f"{self.get_ticket_type_display()}：{self.description[:40]}"

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    @property
    def ref(self) -> str:
        """The order's reference, or empty for feedback without an order."""
        return self.order.ref if self.order_id else ""
