from django.contrib import admin

from orderloop.reviews.models import MonthlyReview


@admin.register(MonthlyReview)
class MonthlyReviewAdmin(admin.ModelAdmin):
    list_display = ("month", "due_at", "filed_at", "filed_by", "breached_at")
