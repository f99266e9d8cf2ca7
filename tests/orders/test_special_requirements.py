"""The customer's 特殊需求 (e.g. 需定制logo) reaches everyone who must honour it: on 《订单内部流转单》, the progress
sheet (生产备货进度表), 《发货准备单》 and the card on the board."""
import re

import pytest
from django.test import Client

from tests.support.orders import act


def text(response) -> str:
    assert response.status_code == 200
    return re.sub(r"<[^>]+>", "", response.content.decode())


@pytest.fixture
def web(users):
    client = Client()
    client.force_login(users["sales_manager"])
    return client


def test_the_internal_documents_and_the_board_card_show_the_special_requirements(orders, users, web):
    in_production = act(orders.at("confirmed", special_requirements="需定制logo"), "start_fulfillment",
                        users["production"], stages=[{"name": "生产", "owner": "production", "planned_date": "2030-05-20"}])
    ref = in_production.number
    assert "特殊需求：需定制logo" in text(web.get(f"/orders/{ref}/documents/internal/"))
    assert "特殊需求：需定制logo" in text(web.get(f"/orders/{ref}/documents/progress/"))
    assert "特殊需求：需定制logo" in text(web.get("/board/"))
    ready = orders.at("ready_to_ship", special_requirements="需定制logo")
    assert "特殊需求：需定制logo" in text(web.get(f"/orders/{ready.number}/documents/shipment/"))


def test_an_order_without_special_requirements_says_so(orders, web):
    order = orders.at("confirmed")
    assert "特殊需求：无" in text(web.get(f"/orders/{order.number}/documents/internal/"))
