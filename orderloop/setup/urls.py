from django.urls import path

from orderloop.setup import views

app_name = "setup"
urlpatterns = [
    path("", views.guide, name="guide"),
    path("calendar/<int:year>/", views.calendar_year, name="calendar_year"),
    path("<str:code>/", views.step, name="step"),
]
