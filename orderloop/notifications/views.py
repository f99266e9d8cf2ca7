from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from orderloop.notifications.services import inbox, inbox_mark_read


@login_required
def inbox_page(request):
    page = Paginator(inbox(request.user).select_related("order"), 50).get_page(request.GET.get("page"))
    return render(request, "notifications/inbox.html", {"page": page})


@login_required
@require_POST
def inbox_read(request):
    ids = [int(i) for i in request.POST.getlist("id") if i.isdigit()] or None
    inbox_mark_read(user=request.user, ids=ids)
    return redirect("notifications:inbox")
