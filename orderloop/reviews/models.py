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
