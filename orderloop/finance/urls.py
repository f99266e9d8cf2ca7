from django.urls import path  # noqa: F401

from orderloop.finance import views  # noqa: F401

app_name = "finance"

urlpatterns = [
]
