"""After-sales steps and the order's edit page answer with what was done and what comes next, not "已保存"."""
from django.contrib.messages import get_messages
from django.urls import reverse

from orderloop.aftersales.models import Ticket


def _message(response) -> str:
    """The message the step added (the last one: the test client does not show the pages between)."""
    shown = [str(m) for m in get_messages(response.wsgi_request)]
    assert shown
    return shown[-1]


def test_each_ticket_step_says_what_was_done_and_who_acts_next(orders, users, client):
    order = orders.at("delivered")
    client.force_login(users["account_manager"])
    opened = client.post(reverse("aftersales:new", args=[order.ref]), {"ticket_type": "quality", "description": "风扇异响"})
    ticket = Ticket.objects.get(order=order)
    assert opened.status_code == 302
    assert _message(opened) == f"已登记客户反馈：售后问题 {order.ref} 现为「待响应」；下一步：售后专员在24小时内响应"
    client.force_login(users["after_sales"])
    responded = client.post(reverse("aftersales:detail", args=[ticket.pk]), {"step": "respond", "note": "已联系客户"})
    assert responded.status_code == 302
    assert _message(responded) == f"已响应：售后问题 {order.ref} 现为「已响应」；下一步：售后专员制定解决方案并承诺完成时间"


def test_saving_an_edited_order_names_it_and_its_next_step(orders, users, client):
    order = orders.at("received")
    client.force_login(users["sales_assistant"])
    page = client.get(reverse("orders:edit", args=[order.ref]))
    assert page.status_code == 200
    form = {name: value for name, value in page.context["values"].items() if isinstance(value, str)}
    for i, line in enumerate(order.lines.all()):
        form.update({f"lines.{i}.product_id": str(line.product_id), f"lines.{i}.quantity": str(line.quantity),
                     f"lines.{i}.unit_price": str(line.unit_price)})
    saved = client.post(reverse("orders:edit", args=[order.ref]), {**form, "version": str(order.version)})
    assert saved.status_code == 302, saved.content.decode()[:2000]
    assert _message(saved) == f"订单 {order.ref} 已保存，现为「已接收」；下一步：销售助理初步审核"
