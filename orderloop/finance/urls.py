from django.urls import path

from orderloop.finance import views

app_name = "finance"

urlpatterns = [
    path("invoices/", views.invoice_list, name="invoices"),
    path("invoices/<int:invoice_id>/issue/", views.invoice_issue, name="invoice_issue"),
    path("invoices/<int:invoice_id>/red-letter/", views.invoice_red_letter, name="invoice_red_letter"),
    path("orders/<str:ref>/invoice/", views.invoice_request, name="invoice_request"),
]
