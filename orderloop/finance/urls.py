"""Finance's pages: thin views over ``finance`` services and reads."""
from django.urls import path

from orderloop.finance import views

app_name = "finance"

urlpatterns = [
    path("receivables/", views.receivables, name="receivables"),
    path("receivables.xlsx", views.receivables_download, {"fmt": "xlsx"}, name="receivables_xlsx"),
    path("receivables.csv", views.receivables_download, {"fmt": "csv"}, name="receivables_csv"),
    path("invoices/", views.invoice_list, name="invoices"),
    path("invoices/<int:invoice_id>/issue/", views.invoice_issue, name="invoice_issue"),
    path("invoices/<int:invoice_id>/red-letter/", views.invoice_red_letter, name="invoice_red_letter"),
    path("orders/<str:ref>/invoice/", views.invoice_request, name="invoice_request"),
    path("receipts/register/", views.receipt_register, name="receipt_register"),
    path("receipts/register.xlsx", views.receipt_register, {"fmt": "xlsx"}, name="receipt_register_xlsx"),
    path("receipts/register.csv", views.receipt_register, {"fmt": "csv"}, name="receipt_register_csv"),
    path("customers/<int:customer_id>/statement.pdf", views.customer_statement_pdf, name="customer_statement_pdf"),
]
