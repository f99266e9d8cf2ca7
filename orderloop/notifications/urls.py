from django.urls import path

from orderloop.notifications import views

app_name = "notifications"
urlpatterns = [
    path("", views.inbox_page, name="inbox"),
    path("read/", views.inbox_read, name="read"),
    path("preferences/", views.preferences_page, name="preferences"),
]
