from django.db import models
from django.utils.translation import gettext_lazy as _

from orderloop.core.prepared import PreparedQuery
from orderloop.masterdata.models import validate_uscc


class CompanyProfile(models.Model):
    """The seller: who we are on every document a customer receives (one row, set in the first-run guide)."""

    name = models.CharField(_("公司名称"), max_length=200)
    uscc = models.CharField(_("统一社会信用代码"), max_length=18, blank=True, validators=[validate_uscc])
    address = models.CharField(_("地址"), max_length=300, blank=True)
    phone = models.CharField(_("电话"), max_length=30, blank=True)
    email = models.EmailField(_("邮箱"), blank=True, help_text=_("客户来信与回复的地址"))
    bank_name = models.CharField(_("开户银行"), max_length=100, blank=True)
    bank_account = models.CharField(_("银行账号"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("公司信息")
        verbose_name_plural = _("公司信息")

    def __str__(self):
        return self.name

    @classmethod
    def current(cls) -> "CompanyProfile | None":
        return cls.objects.order_by("pk").first()


class SiteAddress(models.Model):
    """The address customers and colleagues reach the app at, put in front of every link sent outside (one row).
    ``url`` is the administrator's choice in 系统设置; ``seen_url`` the address a colleague signed in at, used until
    the administrator sets one. The operator's ``ORDERLOOP_BASE_URL`` wins over both (orderloop.setup.site)."""

    url = models.URLField(_("网站地址"), max_length=300, blank=True)
    seen_url = models.URLField(_("登录时使用的地址"), max_length=300, blank=True)
    seen_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("网站地址")
        verbose_name_plural = _("网站地址")

    def __str__(self):
        return self.url or self.seen_url


class SmsSettings(models.Model):
    """The SMS provider (Aliyun SMS, dysmsapi SendSms) that tells customers who prefer SMS or have no e-mail (one
    row, set in 系统设置 › 短信). The AccessKey secret is stored and never shown back."""

    enabled = models.BooleanField(_("启用短信"), default=False)
    endpoint = models.URLField(_("接口地址"), max_length=300, default="https://dysmsapi.aliyuncs.com/")
    access_key_id = models.CharField(_("AccessKey ID"), max_length=100, blank=True)
    access_key_secret = models.CharField(_("AccessKey Secret"), max_length=200, blank=True)
    sign_name = models.CharField(_("短信签名"), max_length=50, blank=True, help_text=_("在阿里云短信服务审核通过的签名，如 某某科技"))
    template_logistics_notice = models.CharField(_("物流预告模板"), max_length=50, blank=True,
                                                 help_text=_("模板 CODE，如 SMS_123456789"))
    template_rating = models.CharField(_("回访评价链接模板"), max_length=50, blank=True)
    template_ticket_resolved = models.CharField(_("售后处理结果模板"), max_length=50, blank=True)

    class Meta:
        verbose_name = _("短信设置")
        verbose_name_plural = _("短信设置")

    def __str__(self):
        return self.sign_name or self.endpoint

    @classmethod
    def current(cls) -> "SmsSettings | None":
        return next(iter(_SMS_SETTINGS.all()), None)

    def template_for(self, kind: str) -> str:
        """The template CODE of a kind of customer message ("" when none is set)."""
        return {"logistics_notice": self.template_logistics_notice, "visit_opened": self.template_rating,
                "ticket_resolved": self.template_ticket_resolved}.get(kind, "")

    def ready_for(self, kind: str) -> bool:
        return bool(self.enabled and self.endpoint and self.access_key_id and self.access_key_secret and self.sign_name
                    and self.template_for(kind))


_SMS_SETTINGS = PreparedQuery(SmsSettings, lambda: SmsSettings.objects.order_by("pk")[:1], params=0)
