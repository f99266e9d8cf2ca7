from django.urls import path

from orderloop.golive import views

app_name = "golive"

urlpatterns = [
    path("", views.index, name="index"),
    path("<str:kind>/template.xlsx", views.template, name="template"),
    path("<str:kind>/upload/", views.upload, name="upload"),
    path("runs/<int:run_id>/", views.run_detail, name="run"),
]

urlpatterns += [
    path("quality/", views.quality, name="quality"),
    path("accounting/", views.accounting, name="accounting"),
    path("accounting/<str:name>.xlsx", views.accounting_file, name="accounting_file"),
]
