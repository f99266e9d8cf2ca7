from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "orderloop.core"
    label = "core"
    verbose_name = "核心"

    def ready(self):
        from django.apps import apps

        from orderloop.core.calendar import connect_signals
        from orderloop.core.choices import choice_labels_tabled
        from orderloop.core.fixed_texts import remember_fixed_texts

        connect_signals()
        remember_fixed_texts()
        choice_labels_tabled(model for model in apps.get_models() if model.__module__.startswith("orderloop."))
