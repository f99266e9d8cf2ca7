"""Users by role, as the role groups of the data migration name them."""
from django.contrib.auth.models import Group

from orderloop.accounts.models import User

ROLES = ["sales_assistant", "account_manager", "sales_manager", "sales_director", "warehouse", "production",
         "logistics", "after_sales", "admin", "finance"]


def make_user(username, *roles, team=None):
    user = User.objects.create_user(username=username, password="orderloop", team=team, display_name=username,
                                    email=f"{username}@example.com")
    # Role groups come from a data migration; transactional tests flush them, so make sure they exist.
    user.groups.set([Group.objects.get_or_create(name=role)[0] for role in roles or [username]])
    return User.objects.get(pk=user.pk)
