from django.contrib import admin

from orderloop.notifications.models import ChatRobot, Notification, NotificationRoute


@admin.register(NotificationRoute)
class NotificationRouteAdmin(admin.ModelAdmin):
    list_display = ("event", "role", "channels", "enabled")
    list_filter = ("event", "enabled")
    list_editable = ("channels", "enabled")


@admin.register(ChatRobot)
class ChatRobotAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "team", "is_active", "per_minute")
    list_filter = ("kind", "is_active")


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("created_at", "event", "channel", "recipient", "address", "subject", "state", "attempts")
    list_filter = ("state", "channel", "event")
    search_fields = ("subject", "address")
    readonly_fields = [f.name for f in Notification._meta.fields]
