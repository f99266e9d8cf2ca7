"""``bench/golive_import.py`` at reduced size: the customers, products and orders in flight it generates import
without a problem through the go-live importers, every order at its stage. Its full size (10,000 customers,
1,000 orders, each engine in a process of its own) is run by hand: see bench/results/golive.md."""
from collections import Counter
from datetime import datetime

import pytest

from bench.golive_import import customers_file, orders_file, people_create, products_file
from orderloop.core import clock
from orderloop.core.calendar import SHANGHAI
from orderloop.golive.models import ImportRun
from orderloop.golive.orders import STAGES
from orderloop.golive.services import import_file
from orderloop.orders.models import SalesOrder

pytestmark = pytest.mark.django_db


def test_the_generated_sheets_import_whole_with_every_stage():
    admin = people_create()
    with clock.frozen_at(datetime(2026, 12, 3, 10, 0, tzinfo=SHANGHAI)):  # the sheets' orders are of 2026-06 … 2026-11
        runs = [import_file(actor=admin, kind=kind, content=content, filename=f"{kind}.xlsx") for kind, content in (
            ("customers", customers_file(60)), ("products", products_file()), ("orders", orders_file(2 * len(STAGES), 60)))]
    for run in runs:
        assert (run.state, run.summary["errors"]) == (ImportRun.State.APPLIED, {})
    assert Counter(SalesOrder.objects.values_list("status", flat=True)) == {status: 2 for status in STAGES.values()}
