"""The roles of SPEC section 1. A user may hold several; each is a Django group
named by its code."""
from typing import NamedTuple

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    SALES_ASSISTANT = "sales_assistant", _("销售助理")
    ACCOUNT_MANAGER = "account_manager", _("客户经理")
    SALES_MANAGER = "sales_manager", _("销售经理")
    SALES_DIRECTOR = "sales_director", _("销售总监")
    WAREHOUSE = "warehouse", _("仓储")
    PRODUCTION = "production", _("生产计划员")
    LOGISTICS = "logistics", _("物流")
    AFTER_SALES = "after_sales", _("售后工程师")
    ADMIN = "admin", _("系统管理员")
    FINANCE = "finance", _("财务")


ALL_ROLES = frozenset(Role.values)


class Viewer(NamedTuple):
    """What the visibility rules (``orders.access.visible_orders_q``, ``masterdata.services.customers_visible_to``)
    read of a user, so that a query can be built once from markers in their place (``core.prepared``)."""
    pk: int
    team_id: int | None
    roles: frozenset
