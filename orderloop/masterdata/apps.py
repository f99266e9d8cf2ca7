from django.apps import AppConfig


class MasterdataConfig(AppConfig):
    name = "orderloop.masterdata"
    label = "masterdata"
    verbose_name = "主数据"
