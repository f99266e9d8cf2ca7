#!/usr/bin/env python
"""Benchmark data: N orders with their history, in bulk.

    .venv/bin/python bench/seed.py --orders N [--years 4] [--seed 20240501] [--batch 10000]

As a script it sets up Django with ``orderloop.config.settings`` (the database of ``DATABASE_URL``, else the
embedded one); the benchmarks call ``seed()`` in their own process.

Users (one per role, several sales teams), customers with contacts, products, and N orders spread over several
years in every state of the lifecycle, each with its lines and a timeline that leads to its status, plus the
timers, fulfilment stages, progress records (register 2: one to three per order in fulfilment), shipments, visits,
tickets, risks and monthly reviews that history leaves behind; on PostgreSQL then the payment plans, receipts and
allocations of the orders from 确认 on (``finance_data``: plain SQL, a few minutes at 1,000,000 orders).

Rows are generated in Python with explicit primary keys and written in batches: PostgreSQL ``COPY … FROM STDIN``
(text format), or ``executemany`` INSERTs on SQLite. Formal order numbers follow the ``YYYYMM-NNN`` scheme in
the order the reviews passed, and the ``OrderNumberCounter`` rows are moved on so new orders continue the
sequence. Nothing here goes through the lifecycle engine: that is what makes a million orders take minutes.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

if __name__ == "__main__":  # run as a script: Django is set up before the models below are imported
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "orderloop.config.settings")
    import django

    django.setup()

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import Max

from orderloop.accounts.models import Team, User
from orderloop.aftersales.models import Ticket
from orderloop.core import clock
from orderloop.core.calendar import SHANGHAI
from orderloop.core.models import OrderNumberCounter
from orderloop.core.numbering import format_order_number
from orderloop.masterdata.models import Contact, Customer, Product, Qualification, StockLevel
from orderloop.masterdata.uscc import ALPHABET as USCC_ALPHABET
from orderloop.masterdata.uscc import uscc_check_char
from orderloop.orders.models import (
    FollowUpVisit,
    FulfillmentStage,
    OrderEvent,
    OrderLine,
    OrderTimer,
    Risk,
    SalesOrder,
    Shipment,
    ShipmentLine,
)
from orderloop.orders.models import OrderStatus as S
from orderloop.orders.services import REF_ALPHABET
from orderloop.reviews.models import ActionItem, MonthlyReview

PASSWORD = "orderloop"
UTC = UTC
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)

# The sales teams: (team, manager, account managers, sales assistants).
TEAMS = [
    ("华北销售一组", "sales_manager", ["account_manager", "account_manager3"], ["sales_assistant"]),
    ("华东销售二组", "sales_manager2", ["account_manager2", "account_manager4"], ["sales_assistant2"]),
    ("华南销售三组", "sales_manager3", ["account_manager5", "account_manager6"], ["sales_assistant3"]),
    ("西南销售四组", "sales_manager4", ["account_manager7", "account_manager8"], ["sales_assistant4"]),
]
STAFF = ["sales_director", "warehouse", "production", "logistics", "after_sales", "admin"]
SURNAMES = "赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨朱秦尤许何吕施张孔曹严华金魏陶姜"
CITIES = ["北京", "上海", "广州", "深圳", "杭州", "南京", "成都", "重庆", "武汉", "西安", "天津", "苏州", "长沙", "青岛",
          "郑州", "宁波", "厦门", "合肥", "济南", "昆明"]
TRADES = ["科技", "贸易", "制造", "电子", "机械", "信息", "网络", "自动化", "物流", "建设", "能源", "医疗器械", "数据", "智能"]
SUFFIXES = ["有限公司", "股份有限公司", "集团有限公司"]
CATALOGUE = [("服务器", "S"), ("交换机", "N"), ("路由器", "R"), ("存储阵列", "ST"), ("防火墙", "F"), ("工控机", "IPC"),
             ("UPS电源", "U"), ("机柜", "C"), ("光模块", "OM"), ("安装调试服务", "SV")]
CARRIERS = [("express", "顺丰速运", "SF"), ("express", "京东物流", "JD"), ("less_than_truckload", "德邦物流", "DB"),
            ("truckload", "安能物流", "AN")]
CHANNELS = ["web", "web", "web", "email", "email", "phone", "paper", "api", "import"]
OPEN_WEIGHTS = {  # the states of orders taken in the last weeks
    S.RECEIVED: 6, S.NEEDS_INFO: 3, S.PENDING_APPROVAL: 6, S.PENDING_DIRECTOR: 3, S.PENDING_STOCK_CHECK: 5,
    S.DATE_NEGOTIATION: 3, S.CONFIRMED: 5, S.IN_FULFILLMENT: 12, S.READY_TO_SHIP: 5, S.SHIPPED: 8, S.DELIVERED: 8,
    S.CLOSED: 25, S.REJECTED: 5, S.CANCELLED: 5,
}
RECENT_DAYS = 45  # older orders are finished: closed, rejected or cancelled
ARCHIVE_AFTER = timedelta(days=365)
DIRECTOR_OVER = 10_000_00  # cents: the director's threshold (orders.ApprovalPolicy, the seed's 超过万元)
CANCEL_FROM = [S.RECEIVED, S.PENDING_APPROVAL, S.PENDING_STOCK_CHECK, S.CONFIRMED, S.IN_FULFILLMENT]


# --- writing rows -----------------------------------------------------------------------------------------

def _pg_text(value) -> str:
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, str):
        if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
            value = value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
        return value
    if isinstance(value, (dict, list)):
        return _pg_text(json.dumps(value, ensure_ascii=False))
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def _sqlite_value(value):
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):
        return int(value)
    return value


class Table:
    """Rows of one model, given as dicts of column → value (missing columns take the field's default)."""

    def __init__(self, model):
        self.model = model
        fields = model._meta.concrete_fields
        self.columns = [f.column for f in fields]
        self.defaults = {}
        for f in fields:
            default = f.get_default()
            self.defaults[f.column] = {} if default == {} and f.get_internal_type() == "JSONField" else default
        self.rows: list = []
        self.written = 0
        self.next_id = (model.objects.aggregate(m=Max("pk"))["m"] or 0) + 1

    def take_id(self) -> int:
        pk = self.next_id
        self.next_id += 1
        return pk

    def add(self, **values) -> None:
        defaults = self.defaults
        self.rows.append([values[c] if c in values else defaults[c] for c in self.columns])

    def copy_data(self) -> tuple[str, str]:
        """(COPY statement, its data in text format) for the rows collected, which are then forgotten."""
        table, cols = self.model._meta.db_table, ", ".join(connection.ops.quote_name(c) for c in self.columns)
        text = "".join("\t".join(map(_pg_text, row)) + "\n" for row in self.rows)
        self.written += len(self.rows)
        self.rows = []
        return f"COPY {connection.ops.quote_name(table)} ({cols}) FROM STDIN", text

    def flush(self, cursor) -> None:
        if not self.rows:
            return
        table, cols = self.model._meta.db_table, ", ".join(connection.ops.quote_name(c) for c in self.columns)
        if connection.vendor == "postgresql":
            statement, text = self.copy_data()
            with cursor.copy(statement) as copy:
                copy.write(text)
            return
        else:
            sql = (f"INSERT INTO {connection.ops.quote_name(table)} ({cols}) "
                   f"VALUES ({', '.join(['%s'] * len(self.columns))})")
            cursor.executemany(sql, [[_sqlite_value(v) for v in row] for row in self.rows])
        self.written += len(self.rows)
        self.rows = []


# --- master data ---------------------------------------------------------------------------------------------

def _users() -> dict[str, User]:
    """One user per role and four sales teams; every password is ``orderloop``."""
    password = make_password(PASSWORD)
    groups = {g.name: g for g in Group.objects.all()}
    users: dict[str, User] = {}
    surnames = iter(SURNAMES)

    def user(username, role, team=None):
        u, _ = User.objects.get_or_create(username=username, defaults={
            "display_name": f"{next(surnames)}*", "email": f"{username}@example.com", "password": password,
            "team": team, "is_staff": role == "admin", "is_superuser": role == "admin"})
        if role not in groups:
            groups[role] = Group.objects.get_or_create(name=role)[0]
        u.groups.add(groups[role])
        users[username] = u
        return u

    for team_name, manager, account_managers, assistants in TEAMS:
        team, _ = Team.objects.get_or_create(name=team_name)
        team.manager = user(manager, "sales_manager", team)
        team.save()
        for name in account_managers:
            user(name, "account_manager", team)
        for name in assistants:
            user(name, "sales_assistant", team)
    for name in STAFF:
        user(name, name)
    return users


def _customers(rng, count, users) -> list[dict]:
    owners = [users[name] for _, _, ams, _ in TEAMS for name in ams]
    existing = set(Customer.objects.values_list("name", flat=True))
    customers, contacts = Table(Customer), Table(Contact)
    result = []
    now = clock.now()
    licence = _licence_scan()
    i = 0
    while len(result) < count:
        i += 1
        name = f"{CITIES[i % len(CITIES)]}{rng.choice(SURNAMES)}{rng.choice(SURNAMES)}{TRADES[(i // len(CITIES)) % len(TRADES)]}" \
               f"{SUFFIXES[i % len(SUFFIXES)]}"
        if name in existing:
            name = f"{name[:-4]}{i}{name[-4:]}"
            if name in existing:
                continue
        existing.add(name)
        owner = owners[len(result) % len(owners)]
        pk = customers.take_id()
        customers.add(id=pk, name=name, uscc=_uscc(pk), address=f"{name[:2]}市{rng.choice(TRADES)}路{rng.randint(1, 999)}号",
                      qualification=Qualification.QUALIFIED, business_licence=licence, licence_expiry=date(2099, 12, 31),
                      credit_record="信用良好，无逾期记录", credit_limit="0.00", owner_id=owner.pk, created_at=now)
        people = []
        for k in range(rng.choice((1, 1, 2, 3))):
            person = f"{rng.choice(SURNAMES)}*"
            phone = f"13{rng.randint(0, 9)}{rng.randint(10_000_000, 99_999_999)}"
            contacts.add(id=contacts.take_id(), customer_id=pk, name=person, phone=phone, email=f"buyer{pk}-{k}@example.com",
                         is_primary=k == 0)
            people.append((person, "+86" + phone))
        result.append({"id": pk, "name": name, "owner": owner, "contacts": people, "address": f"{name[:2]}市路{i}号"})
    with connection.cursor() as cursor:
        customers.flush(cursor)
        contacts.flush(cursor)
    return result


def _uscc(n: int) -> str:
    """A valid 统一社会信用代码 for customer ``n`` (its check character computed)."""
    body = ""
    for _ in range(9):
        n, r = divmod(n, len(USCC_ALPHABET))
        body += USCC_ALPHABET[r]
    first17 = "91310115" + body
    return first17 + uscc_check_char(first17)


def _licence_scan() -> str:
    """One scanned business licence that every seeded customer's record points at."""
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from orderloop.setup.demo import LICENCE_SCAN

    name = "licences/bench-licence.png"
    if not default_storage.exists(name):
        name = default_storage.save(name, ContentFile(LICENCE_SCAN))
    return name


def _products(rng, count) -> list[dict]:
    table = Table(Product)
    existing = set(Product.objects.values_list("model", flat=True))
    result = []
    i = 0
    while len(result) < count:
        name, prefix = CATALOGUE[i % len(CATALOGUE)]
        i += 1
        model = f"{prefix}-{1000 + i}"
        if model in existing:
            continue
        price = rng.choice([300, 500, 800, 1200, 2500, 5000, 8000, 12000, 20000]) * 100
        cost = int(price * rng.uniform(0.55, 0.85))
        pk = table.take_id()
        unit = "次" if prefix == "SV" else "台"
        table.add(id=pk, name=f"{name}{chr(65 + i % 6)}型", model=model, unit=unit, list_price=_money(price),
                  cost_price=_money(cost), is_active=True)
        result.append({"id": pk, "name": f"{name}{chr(65 + i % 6)}型", "model": model, "unit": unit, "price": price,
                       "cost": cost})
    with connection.cursor() as cursor:
        table.flush(cursor)
    # on hand for every goods line the seed confirms as 现货 and for confirmations made on the seeded orders later
    # (the seeded history itself holds no reservation: its lines are shipped or were confirmed before stock was kept)
    StockLevel.objects.bulk_create(StockLevel(product_id=row["id"], on_hand=Decimal("1000000")) for row in result
                                   if row["unit"] != "次")
    return result


def _money(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    cents = abs(cents)
    return f"{sign}{cents // 100}.{cents % 100:02d}"


def _provisional_ref(pk: int) -> str:
    """``TMP-`` and 8 characters of the alphabet new orders draw from: a bijection of the id, so unique."""
    n = (pk * 0x9E3779B1 + 0x5BD1E995) % (32 ** 8)
    chars = []
    for _ in range(8):
        n, r = divmod(n, 32)
        chars.append(REF_ALPHABET[r])
    return "TMP-B" + "".join(chars[:7])


# --- orders ----------------------------------------------------------------------------------------------------

class Seeder:
    def __init__(self, *, orders: int, years: float, seed: int, batch: int, out, money: bool = True):
        self.n, self.years, self.batch, self.out, self.money = orders, years, batch, out, money
        self.rng = random.Random(seed)
        self.now = clock.now().astimezone(UTC)
        self.counters = dict(OrderNumberCounter.objects.values_list("month", "last"))
        self.touched_months: set[str] = set()
        models = [SalesOrder, OrderLine, OrderEvent, OrderTimer, FulfillmentStage, Shipment, ShipmentLine,
                  FollowUpVisit, Risk, Ticket]
        self.tables = {m: Table(m) for m in models}
        self.counts = {status: 0 for status in S.values}

    # users by role
    def setup(self):
        self.users = _users()
        u = self.users
        self.teams = []
        for _, manager, ams, assistants in TEAMS:
            self.teams.append({"manager": u[manager], "ams": [u[a] for a in ams], "assistants": [u[a] for a in assistants]})
        self.team_of = {am.pk: team for team in self.teams for am in team["ams"]}
        self.customers = _customers(self.rng, max(12, min(6000, self.n // 150)), u)
        self.products = _products(self.rng, max(20, min(400, self.n // 2500)))

    def run(self):
        t0 = time.monotonic()
        self.setup()
        self.out(f"master data: {len(self.users)} users, {len(self.customers)} customers, {len(self.products)} products "
                 f"({time.monotonic() - t0:.1f}s)")
        start = self.now - timedelta(days=365 * self.years)
        span = (self.now - HOUR - start).total_seconds()
        states = list(OPEN_WEIGHTS)
        weights = list(OPEN_WEIGHTS.values())
        forced = min(self.n, 2 * len(states))  # the newest orders cover every state, whatever N
        rng = self.rng
        done = 0
        # On PostgreSQL outside a transaction, a second connection writes batch k while this one makes batch k+1.
        writer = CopyWriter() if connection.vendor == "postgresql" and not connection.in_atomic_block else None
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("SET synchronous_commit = off")
            while done < self.n:
                size = min(self.batch, self.n - done)
                with transaction.atomic():
                    for i in range(done, done + size):
                        created = start + timedelta(seconds=span * (i + rng.random()) / self.n)
                        if i >= self.n - forced:
                            status = states[(i - (self.n - forced)) % len(states)]
                            created = min(created, self.now - timedelta(days=2))
                        elif (self.now - created).days > RECENT_DAYS:
                            r = rng.random()
                            status = S.CLOSED if r < 0.88 else S.REJECTED if r < 0.94 else S.CANCELLED
                        else:
                            status = rng.choices(states, weights)[0]
                        self.order(created, status)
                    if writer:
                        writer.put([t.copy_data() for t in self.tables.values() if t.rows])
                    else:
                        for table in self.tables.values():
                            table.flush(cursor)
                done += size
                elapsed = time.monotonic() - t0
                self.out(f"{done:>10,} / {self.n:,} orders  {elapsed:7.1f}s  {done / elapsed:8.0f} orders/s")
            if writer:
                writer.close()
            self.finish(cursor)
        if self.money and connection.vendor == "postgresql":
            self.out("payment plans, receipts and allocations …")
            finance_data()
        elapsed = time.monotonic() - t0
        rows = {m._meta.label: t.written for m, t in self.tables.items()}
        return {"orders": self.n, "seconds": elapsed, "orders_per_second": self.n / elapsed if elapsed else 0,
                "rows": rows, "statuses": self.counts}

    def finish(self, cursor):
        for month in sorted(self.touched_months):
            OrderNumberCounter.objects.update_or_create(month=month, defaults={"last": self.counters[month]})
        self._reviews()
        for sql in connection.ops.sequence_reset_sql(no_style(), list(self.tables) + [Customer, Contact, Product]):
            cursor.execute(sql)
        if connection.vendor == "postgresql":
            self.out("analyzing tables …")
            for model in self.tables:
                cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")

    def _reviews(self):
        """The monthly reviews: filed by the director for every finished month, with an action item."""
        director = self.users["sales_director"]
        manager = self.users["sales_manager"]
        first = (self.now - timedelta(days=365 * self.years)).astimezone(SHANGHAI).date().replace(day=1)
        this_month = self.now.astimezone(SHANGHAI).date().replace(day=1)
        month = first
        while month < this_month:
            following = (month + timedelta(days=32)).replace(day=1)
            due = datetime(following.year, following.month, 5, 18, 0, tzinfo=SHANGHAI)
            filed = due - timedelta(days=1) if due < self.now else None
            review, created = MonthlyReview.objects.get_or_create(month=month, defaults={
                "due_at": due, "filed_at": filed, "filed_by": director if filed else None,
                "summary": f"{month:%Y年%m月}订单交付整体平稳，备货环节用时偏长。" if filed else ""})
            if created and filed:
                ActionItem.objects.create(review=review, description="缩短备货环节用时：每周二核对在制订单", owner=manager,
                                          due_date=(following + timedelta(days=20)), created_by=director, created_at=filed,
                                          done_at=filed + timedelta(days=15), done_by=manager, done_note="已落实")
            month = following

    # one order and everything its history leaves
    def order(self, created: datetime, status: str):
        rng, T = self.rng, self.tables
        orders, lines_t, events = T[SalesOrder], T[OrderLine], T[OrderEvent]
        customer = self.customers[int(rng.random() ** 1.6 * len(self.customers))]  # some customers buy a lot more
        owner = customer["owner"]
        team = self.team_of[owner.pk]
        r = rng.random()
        entered_by = rng.choice(team["assistants"]) if r < 0.7 else owner if r < 0.95 else None
        manager, u = team["manager"], self.users
        pk = orders.take_id()
        contact_name, contact_phone = rng.choice(customer["contacts"])
        channel = "email" if entered_by is None else rng.choice(CHANNELS)
        local_created = created.astimezone(SHANGHAI)
        order_date = local_created.date()
        requested = order_date + timedelta(days=rng.randint(7, 45))

        # lines: an order waiting for the director is over the threshold; the amount decides the rest
        big = status == S.PENDING_DIRECTOR
        n_lines = rng.choice((1, 1, 1, 2, 2, 3, 4))
        total = cost_total = 0
        line_rows = []
        for position in range(1, n_lines + 1):
            product = self.products[rng.randrange(len(self.products))]
            quantity = rng.choice((1, 2, 2, 3, 5, 10, 20))
            price = product["price"] if rng.random() < 0.7 else int(product["price"] * rng.uniform(0.85, 1.0))
            if big and position == 1:
                quantity = max(quantity, DIRECTOR_OVER // price + 1)
            amount = price * quantity
            total += amount
            cost_total += product["cost"] * quantity
            line_rows.append((lines_t.take_id(), position, product, quantity, price, amount))

        # the path to the status: (event type, actor, to_status, payload); over the threshold, the director approves
        director = total > DIRECTOR_OVER
        if status == S.CANCELLED:
            before = rng.choice(CANCEL_FROM)
            path = self._path(before, rng, team, owner, entered_by, director)
            path.append(("cancelled", manager, S.CANCELLED, {"reason": rng.choice(["客户取消采购计划", "客户预算调整", "重复下单"])}))
        else:
            path = self._path(status, rng, team, owner, entered_by, director)

        # times: steps an hour to a few days apart, squeezed to end before now
        gaps = [timedelta(hours=rng.uniform(0.3, 30)) for _ in path[1:]]
        total_gap = sum(gaps, timedelta())
        room = self.now - timedelta(minutes=5) - created
        if total_gap > room:
            gaps = [g * (room / total_gap) for g in gaps]
        moments = [created]
        for g in gaps:
            moments.append(moments[-1] + g)

        number = month = seq = None
        approved_by = None
        from_status = ""
        timers = T[OrderTimer]
        open_timer = None  # (kind, started)
        shipment_id = None
        visit = None
        stage_plan = None
        ticket = None
        for (kind, actor, to_status, payload), at in zip(path, moments):
            payload = dict(payload)
            if kind == "received":
                payload = {"intake_channel": channel, "total_amount": _money(total)}
            elif kind == "reviewed" and payload.get("verdict") == "pass":
                month = at.astimezone(SHANGHAI).strftime("%Y%m")
                seq = self.counters.get(month, 0) + 1
                self.counters[month] = seq
                self.touched_months.add(month)
                number = format_order_number(month, seq)
                payload["number"] = number
            elif kind == "approved" and payload.get("level") == "manager":
                approved_by = manager
            elif kind == "stock_confirmed":
                payload["lines"] = [{"line_id": lid, "availability": "in_stock" if to_status == S.CONFIRMED else "needs_production",
                                     "feasible_date": (at.date() + timedelta(days=7)).isoformat()} for lid, *_ in line_rows]
            elif kind == "fulfillment_started":
                stage_plan = (at, [("备货", u["warehouse"], at.date() + timedelta(days=3)),
                                   ("质检", u["warehouse"], at.date() + timedelta(days=5))])
                payload["stages"] = [{"name": n, "owner": o.username, "planned_date": d.isoformat()} for n, o, d in stage_plan[1]]
            elif kind == "shipped":
                shipment_id = T[Shipment].take_id()
                method, carrier, prefix = rng.choice(CARRIERS)
                tracking = f"{prefix}{pk:012d}"
                eta = (at + timedelta(days=rng.randint(1, 4))).date()
                payload.update({"method": method, "carrier": carrier, "tracking_number": tracking, "eta": eta.isoformat(),
                                "shipment_id": shipment_id})
                shipment = {"id": shipment_id, "order_id": pk, "position": 1, "method": method, "carrier": carrier,
                            "tracking_number": tracking, "eta": eta, "shipped_at": at, "shipped_by_id": u["logistics"].pk,
                            "notice_sent_at": at + HOUR}
            elif kind == "accepted":
                shipment["accepted_at"] = shipment["received_at"] = at
                shipment["received_by_name"] = contact_name
                shipment["receipt_via"] = "scan"
                payload["signed_by"] = contact_name
                visit = {"id": T[FollowUpVisit].take_id(), "order_id": pk, "due_at": at + 3 * DAY}
            elif kind == "followed_up":
                score = rng.choice((5, 5, 5, 4, 4, 3))
                visit.update(done_at=at, channel="phone", usage="设备运行正常", satisfaction=score,
                             visited_by_id=owner.pk)
                payload.update({"channel": "phone", "usage": "设备运行正常", "satisfaction": score})
            # the deadline running in the state left is met by this step; the new state's one starts
            if open_timer is not None:
                t_kind, t_start = open_timer
                if kind == "cancelled":
                    timers.add(id=timers.take_id(), order_id=pk, kind=t_kind, started_at=t_start, due_at=t_start + DAY,
                               state="stopped", stopped_at=at, escalate_to="sales_manager")
                else:
                    timers.add(id=timers.take_id(), order_id=pk, kind=t_kind, started_at=t_start, due_at=t_start + DAY,
                               state="met", met_at=at, escalate_to="sales_manager")
                open_timer = None
            t_kind = TIMER_FOR.get(to_status) if to_status != from_status else None
            if kind == "progress_tracked":  # each tracking record starts the next one
                t_kind = "tracking"
            if t_kind:
                open_timer = (t_kind, at)
            events.add(id=events.take_id(), order_id=pk, type=kind, actor_id=actor.pk if actor else None, occurred_at=at,
                       from_status=from_status, to_status=to_status, payload=payload)
            from_status = to_status
        if open_timer is not None:  # the deadline of the state the order is in
            t_kind, t_start = open_timer
            due = t_start + DAY
            late = due < self.now
            timers.add(id=timers.take_id(), order_id=pk, kind=t_kind, started_at=t_start, due_at=due,
                       state="breached" if late else "running", breached_at=due if late else None,
                       escalate_to="sales_manager")
        last = moments[-1]

        for lid, position, product, quantity, price, amount in line_rows:
            confirmed = number is not None and any(step[0] == "stock_confirmed" for step in path)
            lines_t.add(id=lid, order_id=pk, position=position, product_id=product["id"], product_name=product["name"],
                        model=product["model"], unit=product["unit"], quantity=f"{quantity}.000", unit_price=_money(price),
                        amount=_money(amount), cost_price=_money(product["cost"]), requested_date=None,
                        availability="in_stock" if confirmed else "", lead_time_days=None,
                        feasible_date=requested if confirmed else None, agreed_date=None,
                        short_closed_quantity="0.000", short_close_reason="", order_created_at=created)
        if stage_plan:
            _started, stages = stage_plan
            finished = status not in (S.IN_FULFILLMENT,) and not (status == S.CANCELLED and path[-2][2] == S.IN_FULFILLMENT)
            for position, (name, owner_user, planned) in enumerate(stages, 1):
                T[FulfillmentStage].add(id=T[FulfillmentStage].take_id(), order_id=pk, position=position, name=name,
                                        owner_id=owner_user.pk, planned_date=planned,
                                        actual_date=min(planned, last.date()) if finished else None, superseded=False)
        if shipment_id:
            T[Shipment].add(**shipment)
            for lid, position, product, quantity, price, amount in line_rows:
                T[ShipmentLine].add(id=T[ShipmentLine].take_id(), shipment_id=shipment_id, order_line_id=lid,
                                    quantity=f"{quantity}.000")
        if visit:
            T[FollowUpVisit].add(**visit)
        if stage_plan and rng.random() < 0.06:  # a delay risk, raised and resolved during fulfilment
            raised = stage_plan[0] + HOUR
            T[Risk].add(id=T[Risk].take_id(), order_id=pk, risk_type=rng.choice(["material_shortage", "logistics_delay",
                                                                                  "equipment_failure"]),
                        description="原材料到货延迟两天", raised_by_id=u["production"].pk, raised_at=raised,
                        mitigation_type="prioritise_production", mitigation="协调优先生产", resolved_by_id=manager.pk,
                        resolved_at=raised + 2 * HOUR)
        if visit and rng.random() < 0.05:  # customer feedback after delivery
            opened = visit["due_at"] - 2 * DAY
            closed = status == S.CLOSED
            ticket = T[Ticket].take_id()
            T[Ticket].add(id=ticket, order_id=pk, customer_id=customer["id"], ticket_type=rng.choice(["quality", "installation", "damage", "other"]),
                          description="设备运行时有异响", state="closed" if closed else "responded", opened_at=opened,
                          opened_by_id=owner.pk, assignee_id=u["after_sales"].pk, first_response_at=opened + HOUR,
                          response_note="已电话联系客户", solution_type="repair" if closed else "",
                          solution="上门检测并更换部件" if closed else "",
                          promised_at=opened + DAY if closed else None, resolved_at=opened + DAY if closed else None,
                          result="问题已解决" if closed else "", followed_up_at=opened + DAY if closed else None,
                          customer_confirmed=closed, customer_satisfaction=4 if closed else None,
                          follow_up_note="客户确认正常" if closed else "", closed_at=opened + DAY if closed else None)
            timers.add(id=timers.take_id(), order_id=pk, ticket_id=ticket, kind="aftersales_response", started_at=opened,
                       due_at=opened + DAY, state="met", met_at=opened + HOUR, escalate_to="sales_manager")

        archived = None
        if status in (S.CLOSED, S.REJECTED, S.CANCELLED) and last + ARCHIVE_AFTER < self.now:
            archived = last + ARCHIVE_AFTER + timedelta(hours=2)
        orders.add(id=pk, provisional_ref=_provisional_ref(pk), number=number, number_month=month, number_seq=seq,
                   status=status, customer_id=customer["id"], contact_name=contact_name, contact_phone=contact_phone,
                   order_date=order_date, channel=channel, payment_terms=rng.choice(["30%预付,余款到付", "货到付款", "月结30天"]),
                   delivery_address=customer["address"], requested_date=requested,
                   promised_date=requested if number and status not in (S.PENDING_APPROVAL, S.PENDING_DIRECTOR) else None,
                   delivered_at=next((at for (k, *_), at in zip(path, moments) if k == "accepted"), None),
                   archived_at=archived, special_requirements="", special_terms="", remarks="",
                   total_amount=_money(total), owner_id=owner.pk, entered_by_id=entered_by.pk if entered_by else None,
                   manager_approved_by_id=approved_by.pk if approved_by else None, version=1, created_at=created,
                   updated_at=last)
        self.counts[status] += 1

    def _path(self, status: str, rng, team, owner, entered_by, director: bool) -> list:
        """The lifecycle steps to ``status``: (event type, actor, status after, payload); ``director``: the amount
        is over the threshold, so the director approves after the manager."""
        u = self.users
        steps = [("received", entered_by, S.RECEIVED, {})]
        if status == S.RECEIVED:
            return steps
        assistant = entered_by or team["assistants"][0]
        manager = team["manager"]
        if status == S.NEEDS_INFO:
            return steps + [("reviewed", assistant, S.NEEDS_INFO, {"verdict": "needs_info", "missing": ["交付地址"]})]
        if status == S.REJECTED and rng.random() < 0.5:
            return steps + [("reviewed", assistant, S.REJECTED, {"verdict": "reject", "reason": "客户资质未通过"})]
        steps.append(("reviewed", assistant, S.PENDING_APPROVAL, {"verdict": "pass", "comment": ""}))
        if status == S.PENDING_APPROVAL:
            return steps
        if status == S.REJECTED:
            return steps + [("approval_rejected", manager, S.REJECTED, {"reason": "价格低于底线"})]
        if director:
            steps.append(("approved", manager, S.PENDING_DIRECTOR, {"level": "manager", "comment": "同意"}))
            if status == S.PENDING_DIRECTOR:
                return steps
            steps.append(("approved", u["sales_director"], S.PENDING_STOCK_CHECK, {"level": "director", "comment": "同意"}))
        else:
            steps.append(("approved", manager, S.PENDING_STOCK_CHECK, {"level": "manager", "comment": "同意"}))
        if status == S.PENDING_STOCK_CHECK:
            return steps
        operator = u["warehouse"] if rng.random() < 0.6 else u["production"]
        if status == S.DATE_NEGOTIATION or rng.random() < 0.1:
            steps.append(("stock_confirmed", operator, S.DATE_NEGOTIATION, {}))
            if status == S.DATE_NEGOTIATION:
                return steps
            steps.append(("date_agreed", owner, S.CONFIRMED, {"talk": "客户同意延后交付"}))
        else:
            steps.append(("stock_confirmed", operator, S.CONFIRMED, {}))
        if status == S.CONFIRMED:
            return steps
        steps.append(("fulfillment_started", operator, S.IN_FULFILLMENT, {}))
        for stage, record, problem, measure in PROGRESS[:rng.choice((1, 2, 2, 3))]:  # register 2: a record per follow-up
            steps.append(("progress_tracked", team["assistants"][0], S.IN_FULFILLMENT,
                          {"stage": stage, "record": record, "problem": problem, "measure": measure, "next_step": "按期发货"}))
        if status == S.IN_FULFILLMENT:
            return steps
        steps.append(("shipment_prepared", u["warehouse"], S.READY_TO_SHIP,
                      {"goods": "按订单行", "quantity_checked": True, "qc_passed": True, "qc_report": "质检合格"}))
        if status == S.READY_TO_SHIP:
            return steps
        steps.append(("shipped", u["logistics"], S.SHIPPED, {}))
        if status == S.SHIPPED:
            return steps
        steps.append(("accepted", owner, S.DELIVERED,
                      {"quantity_ok": True, "spec_ok": True, "appearance_ok": True}))
        if status == S.DELIVERED:
            return steps
        steps.append(("followed_up", owner, S.DELIVERED, {}))
        steps.append(("closed", manager, S.CLOSED, {"note": "回访完成，无售后问题"}))
        return steps


# --- money: payment plans, receipts and allocations (PostgreSQL, plain SQL) --------------------------------------

PLANNED = ("confirmed", "in_fulfillment", "ready_to_ship", "shipped", "delivered", "closed")
INSTALMENTS_SQL = """
INSERT INTO finance_instalment (id, order_id, number, trigger, days, working_days, fixed_date, share, amount, due_date,
                                received, written_off, write_off_reason, waive_reason, escalation_level, is_open,
                                settled_on, last_received_on, owner_id, customer_id, created_at)
SELECT o.id * 2 - 2 + k.n, o.id, k.n, p.trigger, p.days, false, NULL, p.share, p.amount, p.due, r.received, 0, '', '',
       0, r.received < p.amount,
       CASE WHEN r.received < p.amount THEN NULL ELSE COALESCE(p.due, o.order_date) + ((o.id * 2 - 2 + k.n) %% 7)::int END,
       CASE WHEN r.received > 0 THEN COALESCE(p.due, o.order_date) + ((o.id * 2 - 2 + k.n) %% 7)::int END,
       o.owner_id, o.customer_id, o.created_at
FROM orders_salesorder o
CROSS JOIN (VALUES (1), (2)) AS k (n)
CROSS JOIN LATERAL (SELECT ((o.id * 2654435761) %% 1000) AS h, round(o.total_amount * 0.3, 2) AS deposit,
                           (o.delivered_at AT TIME ZONE 'Asia/Shanghai')::date AS delivered) AS x
CROSS JOIN LATERAL (SELECT
    CASE WHEN k.n = 1 THEN 'on_confirmation' WHEN o.id %% 3 = 0 THEN 'days_after_delivery' ELSE 'on_delivery' END AS trigger,
    CASE WHEN k.n = 2 AND o.id %% 3 = 0 THEN 30 ELSE 0 END AS days,
    CASE WHEN k.n = 1 THEN '30%%' ELSE '70%%' END AS share,
    CASE WHEN k.n = 1 THEN x.deposit ELSE o.total_amount - x.deposit END AS amount,
    CASE WHEN k.n = 1 THEN o.order_date + 2 WHEN x.delivered IS NULL THEN NULL
         WHEN o.id %% 3 = 0 THEN x.delivered + 30 ELSE x.delivered END AS due) AS p
CROSS JOIN LATERAL (SELECT CASE
    WHEN k.n = 1 THEN CASE WHEN x.h < 20 OR (o.status = 'confirmed' AND x.h < 400) THEN 0 ELSE p.amount END
    WHEN p.due IS NULL THEN 0
    WHEN o.status = 'closed' THEN CASE WHEN x.h < 100 THEN 0 WHEN x.h < 150 THEN round(p.amount / 2, 2) ELSE p.amount END
    WHEN o.status = 'delivered' THEN CASE WHEN x.h < 600 THEN 0 ELSE p.amount END
    ELSE 0 END AS received) AS r
WHERE o.status = ANY(%(planned)s)
"""
RECEIPTS_SQL = """
INSERT INTO finance_receipt (id, received_on, payer, amount, bank_reference, remark, allocated, source, recorded_at,
                             customer_id, recorded_by_id)
SELECT i.id, COALESCE(i.due_date, o.order_date) + (i.id %% 7)::int, c.name, i.received, 'B' || i.id, '', i.received,
       'manual', i.created_at, o.customer_id, %(finance)s
FROM finance_instalment i JOIN orders_salesorder o ON o.id = i.order_id JOIN masterdata_customer c ON c.id = o.customer_id
WHERE i.received > 0
"""
ALLOCATIONS_SQL = """
INSERT INTO finance_allocation (id, receipt_id, instalment_id, amount, allocated_by_id, allocated_at)
SELECT i.id, i.id, i.id, i.received, %(finance)s, i.created_at FROM finance_instalment i WHERE i.received > 0
"""


def finance_user():
    from django.contrib.auth.models import Group

    from orderloop.accounts.models import User

    user, _created = User.objects.get_or_create(username="finance", defaults={"display_name": "财务*",
                                                                              "email": "finance@example.com"})
    user.groups.add(Group.objects.get_or_create(name="finance")[0])
    return User.objects.get(pk=user.pk)


def finance_data() -> dict:
    """Payment plans, receipts and allocations for the seeded orders, unless there are some already (PostgreSQL:
    see ``INSTALMENTS_SQL``); two instalments per order from 确认 on, receipts for the paid ones."""
    from django.db import connection, transaction

    from orderloop.finance.models import Instalment

    user = finance_user()
    if Instalment.objects.exists():
        return {"generated": False}
    t0 = time.monotonic()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL synchronous_commit = off")
        cursor.execute(INSTALMENTS_SQL, {"planned": list(PLANNED)})
        cursor.execute(RECEIPTS_SQL, {"finance": user.pk})
        cursor.execute(ALLOCATIONS_SQL, {"finance": user.pk})
        for table in ("finance_instalment", "finance_receipt", "finance_allocation"):
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
    with connection.cursor() as cursor:  # the visibility map for index-only scans, and fresh statistics
        vacuum = "ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE"  # in a test's transaction: no VACUUM
        for table in ("finance_instalment", "finance_receipt", "finance_allocation"):
            cursor.execute(f"{vacuum} {table}")
    return {"generated": True, "seconds": time.monotonic() - t0}


class CopyWriter:
    """COPYs batches on its own connection in a thread, one batch behind the generator (each batch one transaction)."""

    def __init__(self):
        import queue
        import threading

        import psycopg

        params = connection.get_connection_params()
        params.pop("cursor_factory", None)
        params.pop("context", None)
        self.conn = psycopg.connect(**params)
        self.conn.execute("SET synchronous_commit = off")
        self.conn.commit()
        self.queue = queue.Queue(maxsize=1)
        self.error = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while True:
            batch = self.queue.get()
            if batch is None:
                return
            try:
                with self.conn.transaction(), self.conn.cursor() as cursor:
                    for statement, text in batch:
                        with cursor.copy(statement) as copy:
                            copy.write(text)
            except Exception as exc:  # handed to the generator at its next put
                self.error = exc
                return

    def put(self, batch):
        if self.error:
            raise self.error
        self.queue.put(batch)

    def close(self):
        self.queue.put(None)
        self.thread.join()
        self.conn.close()
        if self.error:
            raise self.error


PROGRESS = [("备货", "按计划进行", "无", "无"), ("备货", "部分物料到货", "一项物料晚到一天", "催供应商加急"),
            ("质检", "质检进行中", "无", "无")]
TIMER_FOR = {S.NEEDS_INFO: "contact", S.PENDING_APPROVAL: "approval", S.PENDING_DIRECTOR: "approval",
             S.PENDING_STOCK_CHECK: "stock_check", S.IN_FULFILLMENT: "tracking", S.SHIPPED: "logistics_notice",
             S.DELIVERED: "follow_up"}


def seed(*, orders: int, years: float = 4.0, seed: int = 20240501, batch: int = 10_000, out=print,
         money: bool = True) -> dict:
    """Add ``orders`` orders (and the master data they need) to the database; returns counts and timings. With
    ``money`` (the default; PostgreSQL only) the orders from 确认 on get their payment plans, receipts and
    allocations (``finance_data``)."""
    return Seeder(orders=orders, years=years, seed=seed, batch=batch, out=out, money=money).run()


def main(argv: list[str] | None = None) -> None:
    from django.core.management.color import color_style

    parser = argparse.ArgumentParser(description="Fill the database with N realistic orders over several years, "
                                                 "with their history (bulk inserts / COPY).")
    parser.add_argument("--orders", type=int, required=True, help="how many orders to add")
    parser.add_argument("--years", type=float, default=4.0, help="spread them over this many years up to now")
    parser.add_argument("--seed", type=int, default=20240501, help="random seed (same seed, same data)")
    parser.add_argument("--batch", type=int, default=10_000, help="orders written per transaction")
    args = parser.parse_args(argv)
    if args.orders < 1:
        parser.error("--orders must be at least 1")
    result = seed(orders=args.orders, years=args.years, seed=args.seed, batch=args.batch,
                  out=lambda line: print(line, flush=True))
    rows = ", ".join(f"{label.split('.')[-1]} {n:,}" for label, n in result["rows"].items())
    print(color_style().SUCCESS(
        f"seeded {result['orders']:,} orders in {result['seconds']:.1f}s ({result['orders_per_second']:.0f} orders/s); "
        f"rows: {rows}"))


if __name__ == "__main__":
    main()
