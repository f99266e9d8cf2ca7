from django.contrib import admin

from orderloop.aftersales.models import Ticket


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    list_display = ("order", "ticket_type", "state", "opened_at", "first_response_at", "promised_at", "resolved_at", "closed_at")
    list_filter = ("state", "ticket_type")
