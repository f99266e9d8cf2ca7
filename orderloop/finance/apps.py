from django.apps import AppConfig


class FinanceConfig(AppConfig):
    name = "orderloop.finance"
    label = "finance"
    verbose_name = "财务"
