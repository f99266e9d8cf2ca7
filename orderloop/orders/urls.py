from django.urls import path

from orderloop.orders import views

app_name = "orders"
urlpatterns = [
    path("", views.home, name="home"),
    path("today/", views.today, name="today"),
    path("orders/", views.order_index, name="list"),
    path("board/", views.stage_board, name="board"),
    path("audit/", views.audit_log, name="audit"),
    path("registers/<str:name>/", views.register, name="register"),
    path("registers/<str:name>.xlsx", views.register, {"fmt": "xlsx"}, name="register_xlsx"),
    path("registers/<str:name>.csv", views.register, {"fmt": "csv"}, name="register_csv"),
    path("lists/<str:name>/saved-filters/", views.saved_filter_save, name="saved_filter_save"),
    path("lists/<str:name>/saved-filters/<int:filter_id>/delete/", views.saved_filter_delete, name="saved_filter_delete"),
    path("orders/new/", views.order_new, name="new"),
    path("orders/import/", views.order_import, name="import"),
    path("orders/mail/", views.order_mail, name="mail"),
    path("orders/import/template.xlsx", views.order_import_template, name="import_template"),
    path("orders/<str:ref>/", views.order_detail, name="detail"),
    path("orders/<str:ref>/actions/<str:action>/", views.order_action, name="action"),
    path("orders/<str:ref>/edit/", views.order_edit, name="edit"),
    path("orders/<str:ref>/copy/", views.order_copy, name="copy"),
    path("orders/<str:ref>/documents/review/", views.review_form, name="review_form"),
    path("orders/<str:ref>/documents/internal/", views.internal_slip, name="internal_slip"),
    path("orders/<str:ref>/acceptance/", views.acceptance, name="acceptance"),
    path("orders/<str:ref>/documents/acceptance/", views.acceptance_record, name="acceptance_record"),
    path("orders/<str:ref>/documents/receipt-<int:batch>.pdf", views.receipt_pdf, name="receipt_pdf"),
    path("receipt/<str:token>/", views.receipt_by_link, name="receipt"),
    path("rating/<str:token>/", views.rating_by_link, name="rating"),
    path("orders/<str:ref>/documents/progress/", views.progress_sheet, name="progress_sheet"),
    path("orders/<str:ref>/documents/shipment/", views.shipment_slip, name="shipment_slip"),
    path("orders/<str:ref>/documents/visit/", views.visit_sheet, name="visit_sheet"),
    path("orders/<str:ref>/documents/confirmation.pdf", views.confirmation_pdf, name="confirmation_pdf"),
    path("orders/<str:ref>/attachments/<int:attachment_id>/", views.attachment_download, name="attachment"),
]
