from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "orderloop.notifications"
    label = "notifications"
    verbose_name = "通知"

    def ready(self):
        from orderloop.notifications.services import connect_signals

        connect_signals()
