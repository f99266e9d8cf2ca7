from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class MonthlyReview(models.Model):
    """The month's review (订单复盘报告), due 3 working days into the next month."""

    month = models.DateField(_("月份"), unique=True, help_text=_("该月第一天"))
    due_at = models.DateTimeField(_("截止时间"))
    filed_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    filed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    breached_at = models.DateTimeField(_("超时时间"), null=True, blank=True)
    summary = models.TextField(_("复盘结论"), blank=True)
    figures = models.JSONField(_("复盘数据"), null=True, blank=True, editable=False,
                               help_text=_("提交时冻结的报告数据；未提交时按当前数据计算"))
    # {"<team id>[,<team id>…]": figures}: each team's figures (and each manager's set of teams), frozen at filing
    team_figures = models.JSONField(_("团队复盘数据"), null=True, blank=True, editable=False,
                                    help_text=_("提交时按团队冻结的报告数据（销售经理看到本团队的数据）"))

    class Meta:
        ordering = ["-month"]
        verbose_name = _("月度复盘")
        verbose_name_plural = _("月度复盘")

    def __str__(self):
        return self.month.strftime("%Y-%m")

    @property
    def state(self) -> str:
        if self.filed_at and not self.breached_at:
            return "met"
        if self.breached_at:
            return "breached"
        return "running"


class ActionItem(models.Model):
    """An improvement agreed in the review (优化措施): who does it by when, tracked to done."""

    review = models.ForeignKey(MonthlyReview, on_delete=models.CASCADE, related_name="action_items")
    description = models.TextField(_("优化措施"))
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("负责人"), on_delete=models.PROTECT,
                              related_name="review_action_items")
    due_date = models.DateField(_("完成期限"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("提出人"), on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(_("提出时间"))
    done_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    done_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("确认人"), null=True, blank=True,
                                on_delete=models.PROTECT, related_name="+")
    done_note = models.TextField(_("完成情况"), blank=True)
    # The process setting the measure changes (提出优化措施并更新模板), named when the item is added:
    # "deadline:<kind>", "stage_template:<id>" or "approval_rule" (reviews.template_changes); blank: none.
    setting = models.CharField(_("涉及的设置"), max_length=60, blank=True)
    # What applying it changed, kept as it read then: {"setting": label, "changes": [[field, old, new], …]}.
    setting_change = models.JSONField(_("设置变更"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["due_date", "id"]
        verbose_name = _("优化措施")
        verbose_name_plural = _("优化措施")

    def __str__(self):
        return self.description[:40]

    @property
    def is_done(self) -> bool:
        return self.done_at is not None
