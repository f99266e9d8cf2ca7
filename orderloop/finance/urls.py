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
]
