"""The order filters' pickers (销售负责人, 客户名称, 产品) are kept per process under the master data's stamp
(orders.pickers, core migration 0004): a page drawn again reads none of them, and whatever changes what they list
— through the ORM, a bulk update or plain SQL, committed or rolled back — shows on the very next page."""
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.contrib.auth.models import update_last_login
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from orderloop.accounts.models import Team, User
from orderloop.core.models import MasterDataStamp
from orderloop.masterdata.models import Customer, Product
from tests.support.customers import make_customer
from tests.support.users import make_user


def _drawn(client, url="/orders/") -> tuple[str, int]:
    """The page, and how many times its pickers' statement was read for it."""
    with CaptureQueriesContext(connection) as read:
        response = client.get(url)
    assert response.status_code == 200
    return response.content.decode(), sum('FROM "masterdata_product"' in (q["sql"] or "") for q in read.captured_queries)


def _stamp() -> int:
    """The master data's stamp (its row made again where a transactional test's flush emptied the table)."""
    return MasterDataStamp.objects.get_or_create(id=1)[0].stamp


def test_a_page_drawn_again_reads_no_lists_and_shows_the_same_options(client, users, customer, product):
    _stamp()
    client.force_login(users["sales_manager"])
    first, reads = _drawn(client)
    assert reads == 1
    again, reads = _drawn(client, "/orders/?q=李")  # the search page draws the same filter form
    assert reads == 0
    for option in (f'<option value="{customer.pk}">科技有限公司</option>',
                   f'<option value="{product.pk}">S-001 服务器A型</option>',
                   '<option value="account_manager">'):
        assert option in first and option in again
    client.force_login(users["sales_director"])  # another user: lists of their own
    assert _drawn(client)[1] == 1


def test_every_change_of_what_a_picker_lists_shows_on_the_next_page(client, users, customer, product, team):
    _stamp()
    client.force_login(users["sales_manager"])
    assert f'<option value="{customer.pk}">科技有限公司</option>' in _drawn(client)[0]

    new = make_customer("新开发客户公司", owner=users["account_manager"], uscc="91110108MA00000001")
    assert f'<option value="{new.pk}">新开发客户公司</option>' in _drawn(client)[0]

    Customer.objects.filter(pk=new.pk).update(name="新开发客户有限公司")  # a bulk update: no save(), no signal
    page = _drawn(client)[0]
    assert "新开发客户有限公司" in page and "新开发客户公司<" not in page

    south = Team.objects.create(name="华南销售组")
    Customer.objects.filter(pk=new.pk).update(owner=make_user("south_am", "account_manager", team=south))
    assert "新开发客户有限公司" not in _drawn(client)[0]  # another team's now

    with connection.cursor() as cursor:  # plain SQL
        cursor.execute("UPDATE masterdata_product SET is_active = %s WHERE id = %s", [False, product.pk])
    assert "S-001" not in _drawn(client)[0]
    Product.objects.create(name="服务器B型", model="S-002", list_price=Decimal("6000.00"))
    assert "S-002 服务器B型" in _drawn(client)[0]

    am = users["account_manager"]
    User.objects.filter(pk=am.pk).update(display_name="王经理")
    assert '<option value="account_manager">王经理</option>' in _drawn(client)[0]
    am.groups.remove(Group.objects.get(name="account_manager"))  # no longer owns orders
    assert '<option value="account_manager">' not in _drawn(client)[0]

    team.manager = None  # the sales manager no longer manages the team: its customers are not theirs to see
    team.save()
    page = _drawn(client)[0]
    assert "科技有限公司" not in page


def test_the_customer_chosen_from_a_long_list_is_kept_too_and_follows_its_changes(client, users, customer, team,
                                                                                   monkeypatch):
    """With more customers than a picker lists, the list filtered by one offers only that one, selected: drawn
    again, its name is not read again; renamed, or moved out of the user's sight, it shows so on the next page."""
    from orderloop.orders import views

    monkeypatch.setattr(views, "PICKER_MAX", 1)
    make_customer("第二家客户公司", owner=users["account_manager"], uscc="91110108MA00000002")
    _stamp()
    client.force_login(users["sales_manager"])
    url = f"/orders/?customer={customer.pk}"
    chosen = f'<option value="{customer.pk}" selected>科技有限公司</option>'
    with CaptureQueriesContext(connection) as first:
        page = _drawn(client, url)[0]
    assert chosen in page and "客户较多：请在搜索框输入客户名称" in page and "第二家客户公司" not in page
    with CaptureQueriesContext(connection) as again:
        assert chosen in _drawn(client, url)[0]
    def names_read(read):
        return sum('"masterdata_customer"."name"' in (q["sql"] or "") and "picker_kind" not in (q["sql"] or "")
                   for q in read.captured_queries)
    assert names_read(first) == 1 and names_read(again) == 0

    Customer.objects.filter(pk=customer.pk).update(name="科技股份有限公司")  # a bulk update: no save(), no signal
    assert f'<option value="{customer.pk}" selected>科技股份有限公司</option>' in _drawn(client, url)[0]
    south = Team.objects.create(name="华南销售组")
    Customer.objects.filter(pk=customer.pk).update(owner=make_user("south_am", "account_manager", team=south))
    assert "科技股份有限公司" not in _drawn(client, url)[0]  # another team's now: not offered


def test_a_sign_in_leaves_the_lists_kept(client, users, customer):
    """A user's last sign-in is not what a picker shows: signing in renews nothing (many sign-ins a day)."""
    before = _stamp()
    update_last_login(None, users["account_manager"])
    assert _stamp() == before
    User.objects.filter(pk=users["account_manager"].pk).update(is_active=False)
    assert _stamp() != before


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # the later tests find the seeded rows
def test_a_change_rolled_back_leaves_nothing_behind(client):
    """A page drawn inside a transaction that is then rolled back keeps its lists under a stamp nobody reads
    again: the next page, outside it, shows the committed lists."""
    _stamp()
    manager = make_user("sales_manager", "sales_manager", team=Team.objects.create(name="华北销售一组"))
    Team.objects.filter(manager=None).update(manager=manager)
    owner = make_user("account_manager", "account_manager", team=manager.team)
    client.force_login(manager)
    assert _drawn(client)[1] == 1
    with pytest.raises(RuntimeError), transaction.atomic():
        make_customer("未保存的客户公司", owner=owner, licence=False, contact=None)
        assert "未保存的客户公司" in _drawn(client)[0]
        raise RuntimeError("rolled back")
    page, reads = _drawn(client)
    assert "未保存的客户公司" not in page and reads in (0, 1)
    kept = make_customer("已保存的客户公司", owner=owner, licence=False, contact=None)
    assert f'<option value="{kept.pk}">已保存的客户公司</option>' in _drawn(client)[0]
