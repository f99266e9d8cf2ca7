"""The roles of SPEC section 1. A user may hold several; each is a Django group
named by its code."""
from django.db import models


class Role(models.TextChoices):
    SALES_ASSISTANT = "sales_assistant", "销售助理"
    ACCOUNT_MANAGER = "account_manager", "客户经理"
    SALES_MANAGER = "sales_manager", "销售经理"
    SALES_DIRECTOR = "sales_director", "销售总监"
    WAREHOUSE = "warehouse", "仓储"
    PRODUCTION = "production", "生产计划员"
    LOGISTICS = "logistics", "物流"
    AFTER_SALES = "after_sales", "售后工程师"
    ADMIN = "admin", "系统管理员"


ALL_ROLES = frozenset(Role.values)
SALES_ROLES = frozenset({Role.SALES_ASSISTANT, Role.ACCOUNT_MANAGER})
MANAGEMENT_ROLES = frozenset({Role.SALES_MANAGER, Role.SALES_DIRECTOR, Role.ADMIN})
