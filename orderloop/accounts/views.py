from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from orderloop.accounts.permissions import ANY_USERS_TOKENS
from orderloop.accounts.services import (
    ACTIVE, STATE_LABELS, api_token_revoke, api_token_state, api_tokens_visible_to, first_admin_needed,
)
from orderloop.accounts.throttle import ThrottledAuthenticationForm, retry_after_seconds
from orderloop.core import clock
from orderloop.core.exceptions import NotFound


class LoginView(auth_views.LoginView):
    """Django's login page, throttled: while locked, 429 with a message saying how long to wait."""

    template_name = "login.html"
    authentication_form = ThrottledAuthenticationForm

    def get_context_data(self, **kwargs):
        return super().get_context_data(**kwargs, first_admin_needed=first_admin_needed())

    def form_invalid(self, form):
        response = super().form_invalid(form)
        if form.locked_until:
            response.status_code = 429
            response["Retry-After"] = str(retry_after_seconds(form.locked_until))
        return response


@login_required
def token_list(request):
    """接口令牌: the user's API tokens (an administrator's: everyone's), to see when each was last used and revoke it."""
    include_ended = request.GET.get("ended") == "1"
    tokens = api_tokens_visible_to(request.user, include_ended=include_ended, username=request.GET.get("user") or None)
    page = Paginator(tokens, 50).get_page(request.GET.get("page"))
    now = clock.now()
    for token in page:
        token.state = api_token_state(token, now)
        token.state_label = STATE_LABELS[token.state]
    return render(request, "accounts/tokens.html", {
        "page": page, "everyone": request.user.has_role(*ANY_USERS_TOKENS), "active": ACTIVE,
        "filters": {"ended": include_ended, "user": request.GET.get("user", "")}})


@login_required
@require_POST
def token_revoke(request, token_id: int):
    try:
        token = api_token_revoke(actor=request.user, token_id=token_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    messages.success(request, _("已撤销接口令牌 %(prefix)s…") % {"prefix": token.key_prefix})
    return redirect("accounts:tokens")
