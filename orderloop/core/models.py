from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEntry(models.Model):
    """Append-only record of a change to any object: who, when, which fields,
    old and new values. Written in the transaction of the change."""

    occurred_at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    object_type = models.CharField(max_length=60)
    object_id = models.CharField(max_length=40)
    object_repr = models.CharField(max_length=200, blank=True)
    operation = models.CharField(max_length=40)
    changes = models.JSONField(default=dict)

    class Meta:
        indexes = [models.Index(fields=["object_type", "object_id", "occurred_at"])]
        ordering = ["occurred_at", "id"]
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计记录")

    def __str__(self):
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {self.object_type}#{self.object_id} {self.operation}"

    # core.prepared.insert() writes a new entry without calling save() (every action's audit, on the hot path):
    # save() below only refuses an entry already saved, which insert() hands to save(). Whoever changes save()
    # checks this still holds; update() is refused.
    prepared_sql_skips_save = ("insert",)

    def save(self, *args, **kwargs):
        if self.pk is not None:  # loading a backup writes raw rows and does not come here
            raise PermissionError("audit entries are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("audit entries are append-only")


class OrderNumberCounter(models.Model):
    """The last serial given out in a month (``YYYYMM``)."""

    month = models.CharField(max_length=6, primary_key=True)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("订单编号计数器")
        verbose_name_plural = _("订单编号计数器")


class CalendarOverride(models.Model):
    """A day whose working status differs from the published calendar, entered by an
    admin (e.g. the day a new State Council notice is published)."""

    date = models.DateField(_("日期"), unique=True)
    is_workday = models.BooleanField(_("工作日"))
    note = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        ordering = ["date"]
        verbose_name = _("日历调整")
        verbose_name_plural = _("日历调整")

    def __str__(self):
        return f"{self.date} {'工作日' if self.is_workday else '休息日'}"


class CalendarYear(models.Model):
    """A year whose statutory holidays and adjusted working days (调休) the admin entered from the State Council's
    notice, as ``CalendarOverride`` days: every other day of the year is a working day from Monday to Friday."""

    year = models.PositiveSmallIntegerField(_("年份"), unique=True)
    entered_at = models.DateTimeField(_("录入时间"))
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("录入人"))

    class Meta:
        ordering = ["year"]
        verbose_name = _("放假安排（年）")
        verbose_name_plural = _("放假安排（年）")

    def __str__(self):
        return f"{self.year}"


class MasterDataStamp(models.Model):
    """One row whose ``stamp`` the database renews in every transaction that changes what the order filters'
    pickers list (triggers of core migration 0004): people (their name, team, activity, roles), teams' managers,
    customers and products, whichever code writes them (pages, imports, the admin, a restore, plain SQL). A value
    kept per process under the stamp read with the session (``core.process_cache.StampedCache``) is therefore never
    older than what the database holds."""

    stamp = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("基础数据版本")
        verbose_name_plural = _("基础数据版本")
