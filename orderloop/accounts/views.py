from django.contrib.auth import views as auth_views

from orderloop.accounts.services import first_admin_needed
from orderloop.accounts.throttle import ThrottledAuthenticationForm, retry_after_seconds


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
