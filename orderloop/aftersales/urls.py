from django.urls import path

from orderloop.aftersales import views

app_name = "aftersales"
urlpatterns = [path("", views.ticket_index, name="list")]
