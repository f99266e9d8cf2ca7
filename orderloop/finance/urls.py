from django.urls import path

from orderloop.finance import views

app_name = "finance"

urlpatterns = [
    path("receivables/", views.receivables, name="receivables"),
    path("receivables.xlsx", views.receivables_download, {"fmt": "xlsx"}, name="receivables_xlsx"),
    path("receivables.csv", views.receivables_download, {"fmt": "csv"}, name="receivables_csv"),
]
