from django.urls import path

from orderloop.masterdata import views

app_name = "masterdata"
urlpatterns = [
    path("", views.customer_index, name="customers"),
    path("<int:customer_id>/", views.customer_detail, name="customer"),
    path("<int:customer_id>/qualification/", views.qualification_upload, name="qualification_upload"),
    path("<int:customer_id>/qualification/decision/", views.qualification_decision, name="qualification_decision"),
    path("<int:customer_id>/files/<str:kind>", views.customer_file, name="customer_file"),
]
