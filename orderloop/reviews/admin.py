from django.contrib import admin
from django.utils.translation import gettext_lazy

from orderloop.core.admin import ReadOnlyAdmin
from orderloop.reviews.models import ActionItem, MonthlyReview


@admin.register(MonthlyReview)
class MonthlyReviewAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    """Opened by the worker, filed (its figures frozen) on the review's page: shown only."""

    list_display = ("month", "due_at", "filed_at", "filed_by", "breached_at")
    readonly_page = ("reviews:list", (), gettext_lazy("“订单复盘”"))


@admin.register(ActionItem)
class ActionItemAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    """Added in the review and marked done by their owners (reviews.services): shown only."""

    list_display = ("review", "description", "owner", "due_date", "done_at")
    list_filter = ("review",)
    readonly_page = ("reviews:list", (), gettext_lazy("“订单复盘”"))
