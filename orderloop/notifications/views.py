from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from orderloop.core.ids import db_ids
from orderloop.notifications.services import inbox, inbox_mark_read


@login_required
def inbox_page(request):
    page = Paginator(inbox(request.user).select_related("order"), 50).get_page(request.GET.get("page"))
    return render(request, "notifications/inbox.html", {"page": page})


@login_required
@require_POST
def inbox_read(request):
    ids = db_ids(request.POST.getlist("id")) or None  # none (or none that names a row): all of them
    inbox_mark_read(user=request.user, ids=ids)
    return redirect("notifications:inbox")
