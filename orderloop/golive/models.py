from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ImportKind(models.TextChoices):
    """What a go-live file brings in, in the order a company brings it in (golive.kinds)."""
    CUSTOMERS = "customers", _("客户")
    PRODUCTS = "products", _("产品")
    STOCK = "stock", _("期初库存")
    ORDERS = "orders", _("在途订单")


class ImportRun(models.Model):
    """One uploaded go-live file: kept as it came, previewed (what would be created, updated, skipped), then
    applied in one transaction or left. The orders it brought in name it (their 上线导入 event)."""

    class State(models.TextChoices):
        PREVIEWED = "previewed", _("待确认")
        REFUSED = "refused", _("有误，未导入")
        APPLIED = "applied", _("已导入")

    kind = models.CharField(_("导入内容"), max_length=20, choices=ImportKind.choices)
    filename = models.CharField(_("文件名"), max_length=255)
    file = models.FileField(_("文件"), upload_to="imports/%Y/%m/")
    state = models.CharField(_("状态"), max_length=20, choices=State.choices, default=State.PREVIEWED)
    summary = models.JSONField(_("预览"), default=dict)  # golive.tables.Preview.summary()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("上传人"), on_delete=models.PROTECT,
                                    related_name="+")
    uploaded_at = models.DateTimeField(_("上传时间"))
    applied_at = models.DateTimeField(_("导入时间"), null=True, blank=True)

    class Meta:
        ordering = ["-uploaded_at", "-id"]
        verbose_name = _("导入记录")
        verbose_name_plural = _("导入记录")

    def __str__(self):
        return f"{self.get_kind_display()} {self.filename}"
