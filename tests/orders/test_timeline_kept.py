"""An order page's timeline is kept per process (orders.work.order_page_timeline): for the events' ids, the order's
state, what the reader may see, the language and the time zone, under the master data's stamp. Drawn again it is
the same; whatever changes it — a new event, a person's name, another reader, another language — shows at once."""
from django.conf import settings

from orderloop.accounts.models import User
from orderloop.orders import work
from tests.support.orders import act


def _timeline(client, order) -> str:
    response = client.get(f"/orders/{order.ref}/")
    assert response.status_code == 200
    page = response.content.decode()
    return page[page.index('id="timeline"'):]  # 订单动态, the page's last section


def test_a_timeline_drawn_again_is_kept_and_the_same(client, users, orders):
    order = orders.received()
    client.force_login(users["sales_manager"])
    first = _timeline(client, order)
    kept = dict(work._TIMELINES.kept)
    again = _timeline(client, order)
    assert again == first and dict(work._TIMELINES.kept) == kept and len(kept) == 1


def test_a_new_event_and_a_new_name_show_on_the_next_page(client, users, orders):
    order = orders.received()
    client.force_login(users["sales_manager"])
    assert "1 条记录" in _timeline(client, order)
    act(order, "review", users["sales_assistant"], verdict="pass")
    page = _timeline(client, order)
    assert "审核通过" in page or "通过" in page
    User.objects.filter(pk=users["sales_assistant"].pk).update(display_name="新名字助理")
    assert "新名字助理" in _timeline(client, order)


def test_a_kept_timeline_is_the_one_its_reader_may_read(client, users, orders):
    """The manager's approval names why the director must approve (the margin, the amount): cost readers see it,
    a sales assistant reading the same order after them does not."""
    order = orders.at("pending_director")
    reason = order.events.get(type="approved").payload["director_reasons"][0]
    client.force_login(users["sales_manager"])
    assert reason in _timeline(client, order)
    client.force_login(users["sales_assistant"])
    assert reason not in _timeline(client, order)


def test_a_kept_timeline_is_in_its_reader_s_language(client, users, orders):
    order = orders.received()
    client.force_login(users["sales_manager"])
    assert "1 条记录" in _timeline(client, order)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = _timeline(client, order)
    assert "1 entries" in page and "条记录" not in page
