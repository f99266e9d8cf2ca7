from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "orderloop.orders"
    label = "orders"
    verbose_name = "销售订单"
