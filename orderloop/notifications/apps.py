from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "orderloop.notifications"
    label = "notifications"
    verbose_name = "通知"
