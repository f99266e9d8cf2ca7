"""Finance's pages: thin views over ``finance`` services and reads."""
from django.urls import path

from orderloop.finance import views

app_name = "finance"

urlpatterns = [
    path("receipts/register/", views.receipt_register, name="receipt_register"),
    path("receipts/register.xlsx", views.receipt_register, {"fmt": "xlsx"}, name="receipt_register_xlsx"),
    path("receipts/register.csv", views.receipt_register, {"fmt": "csv"}, name="receipt_register_csv"),
    path("customers/<int:customer_id>/statement.pdf", views.customer_statement_pdf, name="customer_statement_pdf"),
]
