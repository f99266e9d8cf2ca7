from django.urls import path

from orderloop.aftersales import views

app_name = "aftersales"
urlpatterns = [
    path("", views.ticket_index, name="list"),
    path("record/", views.record_feedback, name="record_feedback"),
    path("<int:ticket_id>/", views.ticket_detail, name="detail"),
    path("<int:ticket_id>/record/", views.ticket_record, name="record"),
    path("new/<str:ref>/", views.ticket_new, name="new"),
]
