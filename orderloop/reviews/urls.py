from datetime import date

from django.urls import path, register_converter

from orderloop.reviews import views


MIN_YEAR, MAX_YEAR = 1900, 9998


class MonthConverter:
    """YYYY-MM in the address, the month's first day in the view."""

    regex = r"\d{4}-\d{2}"

    def to_python(self, value: str) -> date:
        year, month = value.split("-")
        if not MIN_YEAR <= int(year) <= MAX_YEAR:  # the months around one still fit in a date
            raise ValueError(year)
        return date(int(year), int(month), 1)  # ValueError (month 13, year 0001) is a 404

    def to_url(self, value: date) -> str:
        return value.strftime("%Y-%m")


register_converter(MonthConverter, "month")

app_name = "reviews"
urlpatterns = [
    path("", views.review_index, name="list"),
    path("actions/", views.my_action_items, name="my_actions"),
    path("actions/<int:item_id>/", views.action_item_detail, name="action"),
    path("actions/<int:item_id>/apply/", views.action_item_apply, name="action_apply"),
    path("actions/<int:item_id>/done/", views.action_item_done, name="action_done"),
    path("<month:month>/", views.review_detail, name="detail"),
    path("<month:month>/file/", views.review_file, name="file"),
    path("<month:month>/actions/", views.action_item_add, name="action_add"),
    path("<month:month>.xlsx", views.review_xlsx, name="xlsx"),
    path("<month:month>.pdf", views.review_pdf, name="pdf"),
]
