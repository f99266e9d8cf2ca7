from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "orderloop.accounts"
    label = "accounts"
    verbose_name = "用户与角色"

    def ready(self):
        from orderloop.accounts import throttle  # noqa: F401  (connects the login signals)
