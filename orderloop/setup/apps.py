from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SetupConfig(AppConfig):
    name = "orderloop.setup"
    label = "setup"
    verbose_name = _("首次设置")

    def ready(self):
        from orderloop.setup import checks  # noqa: F401  (registers the deployment checks)
