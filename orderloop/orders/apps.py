from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "orderloop.orders"
    label = "orders"
    verbose_name = "销售订单"

    def ready(self):
        from orderloop.orders.timers import connect_signals

        connect_signals()
