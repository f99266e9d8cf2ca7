"""Finance's pages: thin views over ``finance`` services and reads."""
from django.urls import path

from orderloop.finance import views

app_name = "finance"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("receipts/", views.receipts, name="receipts"),
    path("receipts/new/", views.receipt_new, name="receipt_new"),
    path("receipts/<int:receipt_id>/", views.receipt_detail, name="receipt"),
    path("receipts/<int:receipt_id>/allocate/", views.receipt_allocate_view, name="receipt_allocate"),
    path("statements/import/", views.statement_upload, name="statement_import"),
    path("statements/<int:statement_id>/", views.statement_detail, name="statement"),
    path("statements/<int:statement_id>/confirm/", views.statement_confirm_view, name="statement_confirm"),
    path("receivables/", views.receivables, name="receivables"),
    path("receivables.xlsx", views.receivables_download, {"fmt": "xlsx"}, name="receivables_xlsx"),
    path("receivables.csv", views.receivables_download, {"fmt": "csv"}, name="receivables_csv"),
    path("invoices/", views.invoice_list, name="invoices"),
    path("invoices/<int:invoice_id>/issue/", views.invoice_issue, name="invoice_issue"),
    path("invoices/<int:invoice_id>/red-letter/", views.invoice_red_letter, name="invoice_red_letter"),
    path("invoices/<int:invoice_id>/withdraw/", views.invoice_withdraw, name="invoice_withdraw"),
    path("orders/<str:ref>/invoice/", views.invoice_request, name="invoice_request"),
    path("receipts/register/", views.receipt_register, name="receipt_register"),
    path("receipts/register.xlsx", views.receipt_register, {"fmt": "xlsx"}, name="receipt_register_xlsx"),
    path("receipts/register.csv", views.receipt_register, {"fmt": "csv"}, name="receipt_register_csv"),
    path("customers/<int:customer_id>/statement.pdf", views.customer_statement_pdf, name="customer_statement_pdf"),
]
