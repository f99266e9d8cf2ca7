from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from orderloop.accounts.views import LoginView
from orderloop.config.api import api
from orderloop.core.views import help_page
from orderloop.masterdata.urls import product_patterns

urlpatterns = [
    path("api/", api.urls),
    path("admin/", admin.site.urls),
    path("login/", LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("account/", include("orderloop.accounts.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("help/", help_page, name="help"),
    path("inbox/", include("orderloop.notifications.urls")),
    path("tickets/", include("orderloop.aftersales.urls")),
    path("reviews/", include("orderloop.reviews.urls")),
    path("finance/", include("orderloop.finance.urls")),
    path("setup/", include("orderloop.setup.urls")),
    path("golive/", include("orderloop.golive.urls")),
    path("customers/", include("orderloop.masterdata.urls")),
    path("products/", include((product_patterns, "products"))),
    path("", include("orderloop.orders.urls")),
]
# Uploaded files are never served from MEDIA_URL, not even with DEBUG: only through views that check who may
# see them and send them as downloads (orders:attachment).
