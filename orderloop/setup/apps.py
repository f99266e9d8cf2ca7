from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SetupConfig(AppConfig):
    name = "orderloop.setup"
    label = "setup"
    verbose_name = _("首次设置")

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from orderloop.setup import checks  # noqa: F401  (registers the deployment checks)
        user_logged_in.connect(_address_seen, dispatch_uid="orderloop.setup.address_seen")


def _address_seen(sender, request=None, **kwargs):
    """A colleague signed in: the address their browser reached is a good default for links (orderloop.setup.site)."""
    from orderloop.setup.site import address_seen

    if request is not None:
        address_seen(request)
