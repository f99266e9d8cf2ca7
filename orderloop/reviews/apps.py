from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    name = "orderloop.reviews"
    label = "reviews"
    verbose_name = "订单复盘"
