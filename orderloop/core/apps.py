from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "orderloop.core"
    label = "core"
    verbose_name = "核心"

    def ready(self):
        from orderloop.core.calendar import connect_signals

        connect_signals()
