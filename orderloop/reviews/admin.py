from django.contrib import admin

from orderloop.reviews.models import ActionItem, MonthlyReview


@admin.register(MonthlyReview)
class MonthlyReviewAdmin(admin.ModelAdmin):
    list_display = ("month", "due_at", "filed_at", "filed_by", "breached_at")


@admin.register(ActionItem)
class ActionItemAdmin(admin.ModelAdmin):
    list_display = ("review", "description", "owner", "due_date", "done_at")
    list_filter = ("review",)
