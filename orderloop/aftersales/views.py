"""After-sales pages: the ticket list (售后问题处理记录) with the photos taken at acceptance."""
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render

from orderloop.aftersales.models import TicketState
from orderloop.aftersales.services import tickets_visible_to


@login_required
def ticket_index(request):
    state = request.GET.get("state", "open")
    tickets = tickets_visible_to(request.user).prefetch_related("photos")
    if state == "open":
        tickets = tickets.filter(resolved_at__isnull=True)
    elif state in TicketState.values:
        tickets = tickets.filter(state=state)
    page = Paginator(tickets, 50).get_page(request.GET.get("page"))
    return render(request, "aftersales/ticket_list.html", {"page": page, "state": state, "states": TicketState.choices})
