"""Entering an order in the browser as a person would, counting what it costs them: every click and every key.
``fill`` counts one click to reach the field and one key per character typed; ``press`` one key; ``type`` (at the
field that has the focus) one key per character. Also the search boxes of the intake page (录入订单)."""
from decimal import Decimal

from orderloop.masterdata.models import Product

DEMO_PRODUCTS = [  # as in the demo (orderloop/setup/demo.py)
    ("服务器A型", "S-001", "台", "5000.00"),
    ("服务器B型", "S-002", "台", "8000.00"),
    ("交换机", "N-100", "台", "1200.00"),
    ("安装调试服务", "SV-01", "次", "500.00"),
]


def demo_products() -> dict[str, Product]:
    return {model: Product.objects.create(name=name, model=model, unit=unit, list_price=Decimal(price),
                                          cost_price=Decimal(price) / 2)
            for name, model, unit, price in DEMO_PRODUCTS}


class Effort:
    """What the person did on ``page``: clicks and keystrokes, counted as they are made."""

    def __init__(self, page):
        self.page = page
        self.clicks = 0
        self.keys = 0

    @property
    def total(self) -> int:
        return self.clicks + self.keys

    def click(self, locator):
        self.clicks += 1
        locator.click()

    def fill(self, locator, text: str):
        self.click(locator)  # to reach the field
        self.keys += len(text)
        locator.fill(text)

    def type(self, text: str):
        self.keys += len(text)
        self.page.keyboard.type(text)

    def press(self, key: str):
        self.keys += 1
        self.page.keyboard.press(key)


def results_of(page, combobox):
    """The options the search box ``combobox`` offers, once it offers some."""
    listbox = page.locator(f"#{combobox.get_attribute('aria-controls')}")
    listbox.locator("[role=option]").first.wait_for()
    return listbox.locator("[role=option]")


def search_box(page, name: str, exact: bool = False):
    """The search box (an <input> that intake.js puts before the <select> it takes over) named ``name``. Not the
    <select>: until the script has run, that is the combobox of that name, and it is hidden once the script ran."""
    return page.get_by_role("combobox", name=name, exact=exact).and_(page.locator("input"))


def choose_customer(page, text: str, name: str):
    """Type ``text`` in the customer search and click the customer ``name`` (for journeys that do not count)."""
    box = search_box(page, "客户名称")
    box.fill(text)
    results_of(page, box).filter(has_text=name).first.click()


def choose_product(page, row: int, text: str, name: str):
    """Type ``text`` in the product search of line ``row`` (1, 2, …) and click the product ``name``."""
    box = search_box(page, f"产品 {row}", exact=True)
    box.fill(text)
    results_of(page, box).filter(has_text=name).first.click()
