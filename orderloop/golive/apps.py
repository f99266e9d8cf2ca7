from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GoLiveConfig(AppConfig):
    name = "orderloop.golive"
    label = "golive"
    verbose_name = _("数据导入")
