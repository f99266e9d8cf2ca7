from django.urls import path

from orderloop.setup import views

app_name = "setup"
urlpatterns = [
    path("", views.guide, name="guide"),
    path("<str:code>/", views.step, name="step"),
]
