from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from orderloop.core.ids import db_ids
from orderloop.notifications.models import Channel
from orderloop.notifications.services import inbox, inbox_mark_read, preferences_of, preferences_save


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


@login_required
def preferences_page(request):
    """Each kind of notice the user may receive, with its in-app and e-mail switches, and the daily mail digest."""
    if request.method == "POST":
        rows, _digest = preferences_of(request.user)
        off = {row["event"]: {channel for channel in (Channel.INAPP, Channel.EMAIL)
                              if f"{channel}:{row['event']}" not in request.POST} for row in rows}
        preferences_save(user=request.user, off=off, daily_digest=request.POST.get("digest") == "daily")
        messages.success(request, _("通知设置已保存：以后的通知按新设置发送"))
        return redirect("notifications:preferences")
    rows, digest = preferences_of(request.user)
    return render(request, "notifications/preferences.html", {"rows": rows, "digest": digest})
