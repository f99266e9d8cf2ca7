from django.contrib import admin
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from orderloop.aftersales.models import Ticket
from orderloop.core.admin import ReadOnlyAdmin


@admin.register(Ticket)
class TicketAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    """Shown only: a ticket moves through its steps (response, solution, result, the customer's confirmation,
    close) on its page, by aftersales.lifecycle, on the order's timeline and with its deadlines."""

    list_display = ("customer", "order", "ticket_type", "state", "opened_at", "first_response_at", "promised_at", "resolved_at", "closed_at")
    list_filter = ("state", "ticket_type")
    readonly_page = ("aftersales:list", (), gettext_lazy("“售后问题”"))
    readonly_reason = gettext_lazy("反馈按步骤处理：响应、解决方案、处理结果，客户确认后关闭。")

    def readonly_link(self, obj=None):
        if obj is None:
            return super().readonly_link()
        return reverse("aftersales:detail", args=[obj.pk]), _("该反馈的页面")
