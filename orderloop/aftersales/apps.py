from django.apps import AppConfig


class AftersalesConfig(AppConfig):
    name = "orderloop.aftersales"
    label = "aftersales"
    verbose_name = "售后"
