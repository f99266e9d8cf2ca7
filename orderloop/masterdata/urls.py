from django.urls import path

from orderloop.masterdata import views

app_name = "masterdata"
urlpatterns = [
    path("", views.customer_index, name="customers"),
    path("new/", views.customer_new, name="customer_new"),
    path("<int:customer_id>/", views.customer_detail, name="customer"),
    path("<int:customer_id>/edit/", views.customer_edit, name="customer_edit"),
    path("<int:customer_id>/active/", views.customer_active, name="customer_active"),
    path("<int:customer_id>/qualification/", views.qualification_upload, name="qualification_upload"),
    path("<int:customer_id>/qualification/decision/", views.qualification_decision, name="qualification_decision"),
    path("<int:customer_id>/files/<str:kind>", views.customer_file, name="customer_file"),
]

# 产品 (/products/), included under its own namespace ``products``
product_patterns = [
    path("", views.product_index, name="list"),
    path("new/", views.product_new, name="new"),
    path("<int:product_id>/", views.product_detail, name="detail"),
    path("<int:product_id>/edit/", views.product_edit, name="edit"),
    path("<int:product_id>/active/", views.product_active, name="active"),
    path("<int:product_id>/stock/", views.product_stock, name="stock"),
]
