from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "orderloop.core"
    label = "core"
    verbose_name = "核心"
