from django.contrib import admin
from django.db import models
from django.utils.translation import gettext_lazy

from orderloop.core.admin import AuditedAdmin, ReadOnlyAdmin
from orderloop.notifications.models import ChatRobot, Notification, NotificationRoute


@admin.register(NotificationRoute)
class NotificationRouteAdmin(AuditedAdmin, admin.ModelAdmin):
    list_display = ("event", "role", "channels", "enabled")
    list_filter = ("event", "enabled")
    list_editable = ("channels", "enabled")


@admin.register(ChatRobot)
class ChatRobotAdmin(AuditedAdmin, admin.ModelAdmin):
    """Audited; the webhook address (it carries the group's key) and the signing secret as changed only."""

    list_display = ("name", "kind", "team", "is_active", "per_minute")
    list_filter = ("kind", "is_active")
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}  # webhooks are https


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    """The outbox: written by the change that causes each message, delivered by the worker; shown only."""

    list_display = ("created_at", "event", "channel", "recipient", "address", "subject", "state", "attempts")
    list_filter = ("state", "channel", "event")
    search_fields = ("subject", "address")
    readonly_reason = gettext_lazy("通知由系统在业务变更时写入，并由后台任务发送。")
