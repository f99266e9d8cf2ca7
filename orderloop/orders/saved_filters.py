"""Saved filters (保存筛选): a user's named filters of the order list and of each register, to pick again."""
from urllib.parse import urlencode

from django.db import transaction
from django.utils.translation import gettext as _

from orderloop.core.clock import now
from orderloop.core.exceptions import InvalidInput
from orderloop.core.prepared import PreparedQuery
from orderloop.orders.models import SavedFilter
from orderloop.orders.registers import FILTER_KEYS

SAVED_FILTERS_MAX = 30  # per user and page


def filter_query(query) -> str:
    """The filter part of a query string (no page number, nothing unknown), as saved and as linked to."""
    pairs = [(key, value) for key in FILTER_KEYS for value in query.getlist(key) if value.strip()]
    return urlencode(pairs)[:1000]


_SAVED = PreparedQuery(SavedFilter, lambda user_id, page: SavedFilter.objects.filter(user_id=user_id, page=page),
                       params=2, plan_once=True)


def saved_filters(user, page: str) -> list[SavedFilter]:
    """The user's saved filters of ``page``, by name (a statement compiled once: every list page shows them)."""
    return _SAVED.all(user.pk, page)


def save_filter(user, page: str, name: str, query) -> SavedFilter:
    """Saves the current filter of ``page`` under ``name``; the same name again replaces it."""
    name = (name or "").strip()
    if not name:
        raise InvalidInput(_("请填写筛选名称"))
    if len(name) > 40:
        raise InvalidInput(_("筛选名称最多 40 个字"))
    with transaction.atomic():
        existing = SavedFilter.objects.select_for_update().filter(user=user, page=page, name=name).first()
        if existing is None and len(saved_filters(user, page)) >= SAVED_FILTERS_MAX:
            raise InvalidInput(_("每个页面最多保存 %(n)s 个筛选，请先删除不用的") % {"n": SAVED_FILTERS_MAX})
        saved = existing or SavedFilter(user=user, page=page, name=name)
        saved.query = filter_query(query)
        saved.created_at = now()
        saved.save()
    return saved


def delete_saved_filter(user, pk) -> None:
    SavedFilter.objects.filter(user=user, pk=pk).delete()
