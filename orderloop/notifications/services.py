"""Notifications: ``notify`` writes the outbox inside the caller's transaction and, once it commits, asks the
worker to deliver (notifications.tasks, which sends through notifications.delivery); the in-app inbox."""
import json
import logging
import re
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, F, Q
from django.utils.translation import gettext as _

from orderloop.accounts.models import User
from orderloop.accounts.roles import Role
from orderloop.core import clock
from orderloop.core.calendar import SHANGHAI
from orderloop.core.ids import db_ids
from orderloop.core.prepared import PreparedQuery, PreparedRows, insert_rows
from orderloop.core.process_cache import ProcessCache
from orderloop.masterdata.models import Contact, NoticeChannel
from orderloop.notifications.models import (
    KINDS, SMS, ChatRobot, Channel, MailDigest, Notification, NotificationPreference, NotificationRoute,
)
from orderloop.setup.models import SmsSettings
from orderloop.notifications.tasks import deliver_outbox

logger = logging.getLogger(__name__)


def users_with_role(role: str):
    return User.objects.filter(is_active=True, groups__name=role).distinct()


# The recipients of a notice are read on nearly every lifecycle action: their queries are compiled once
# (core.prepared) instead of being built by the ORM each time, and read by the order's keys, so that the people
# the order names (its owner, who entered it, its customer's owner) are not loaded one by one first.
_ROLE_HOLDERS = PreparedQuery(User, users_with_role)
_TEAM_MANAGERS = PreparedQuery(  # of the teams the two people given belong to
    User, lambda role, person, other: users_with_role(role).filter(managed_teams__members__in=[person, other]).distinct(),
    params=3)
_AMONG = PreparedQuery(  # those of the two people given who play the role
    User, lambda role, person, other: users_with_role(role).filter(pk__in=[person, other]), params=3)
_ACTIVE = PreparedQuery(User, lambda pk: User.objects.filter(pk=pk, is_active=True))
_CONTACTS = PreparedQuery(Contact, lambda customer_id: Contact.objects.filter(customer_id=customer_id).order_by(
    "-is_primary", "id"))


_HOLDERS = PreparedQuery(  # the people who play any of the roles given, once for each of them they play
    User, lambda roles: User.objects.filter(is_active=True, groups__name__in=roles).annotate(role=F("groups__name"))
    .order_by("pk"))
# The roles whose people depend on the order (see recipients); any other is everyone who plays it.
_THE_ORDERS = frozenset({Role.SALES_MANAGER, Role.ACCOUNT_MANAGER, Role.SALES_ASSISTANT})


def recipients(order, role: str) -> list[User]:
    """The people who play ``role`` for ``order``."""
    if order is None or role not in _THE_ORDERS:
        return _ROLE_HOLDERS.all(role)
    if role == Role.SALES_MANAGER:  # the managers of the teams of the owner and of who entered it, else every one
        return _TEAM_MANAGERS.all(role, order.owner_id, order.entered_by_id) or _ROLE_HOLDERS.all(role)
    if role == Role.ACCOUNT_MANAGER:  # the order's owner and its customer's, in that order, once each
        owner, customer_owner = order.owner_id, order.customer.owner_id
        found = {person.pk: person for person in _AMONG.all(role, owner, customer_owner)}
        return [found[pk] for pk in dict.fromkeys((owner, customer_owner)) if pk in found]
    if order.entered_by_id is None:  # the sales assistant: who entered it
        return []
    if type(order).entered_by.is_cached(order):
        return [order.entered_by] if order.entered_by.is_active else []
    return _ACTIVE.all(order.entered_by_id)


def recipients_of(order, roles) -> dict[str, list[User]]:
    """``recipients`` of each of ``roles``; the roles everyone who plays them gets are read in one statement."""
    roles = list(roles)
    everyone = sorted({role for role in roles if order is None or role not in _THE_ORDERS})
    found: dict[str, list[User]] = {}
    if len(everyone) > 1:
        found = {role: [] for role in everyone}
        for person in _HOLDERS.all(everyone):
            found[person.role].append(person)
    for role in roles:
        if role not in found:
            found[role] = recipients(order, role)
    return found


@dataclass(frozen=True)
class CustomerMessage:
    """What the customer reads: its own subject, text and link (a signed link the customer opens without an
    account, or none — never a page of the app behind its login), and the values of the SMS template of its kind.
    Built by ``orders.customer_messages``; ``notify`` sends it by e-mail or SMS as the customer's record says."""

    customer: object
    subject: str
    body: str
    link: str = ""
    sms_params: dict = field(default_factory=dict)


MOBILE = re.compile(r"^(?:\+?86)?(1[3-9]\d{9})$")


def mobile_number(phone: str) -> str:
    """A mainland mobile number in ``phone`` (spaces and dashes dropped, +86 allowed), or ""."""
    match = MOBILE.match(re.sub(r"[\s\-()]", "", phone or ""))
    return match.group(1) if match else ""


@dataclass(frozen=True)
class CustomerAddress:
    channel: str = ""   # Channel.EMAIL or SMS; "" when the customer cannot be reached
    address: str = ""
    problem: str = ""   # why not, for the people who must phone instead


def customer_address(customer, kind: str) -> CustomerAddress:
    """How a customer message of ``kind`` reaches ``customer``: by SMS when they prefer it or have no e-mail (and
    have a mobile number, and SMS is set up for this kind in 系统设置), by e-mail otherwise; or why it cannot."""
    contacts = _CONTACTS.all(customer.pk) if customer is not None else []
    email = next((c.email for c in contacts if c.email), "")
    mobile = next((mobile_number(c.phone) for c in contacts if mobile_number(c.phone)), "")
    sms = SmsSettings.current()
    sms_ready = sms is not None and sms.ready_for(kind)
    if mobile and sms_ready and (customer.notice_channel == NoticeChannel.SMS or not email):
        return CustomerAddress(SMS, mobile)
    if email:
        return CustomerAddress(Channel.EMAIL, email)
    if not mobile:
        return CustomerAddress(problem=_("客户无邮箱和手机"))
    return CustomerAddress(problem=_("客户无邮箱，短信未启用或未设置该类消息的模板"))


def _load_routes() -> dict[str, list[NotificationRoute]]:
    by_event = {}
    for route in NotificationRoute.objects.filter(enabled=True).order_by("event", "role"):
        by_event.setdefault(route.event, []).append(route)
    return by_event


# The routing table is read on every notification and changed by an admin now and then: kept per process
# (core.process_cache), read again once a change made here commits, and at the latest after ``ROUTES_TTL`` seconds.
ROUTES_TTL = 60.0
_ROUTES = ProcessCache(_load_routes, ROUTES_TTL)


def routes_for(event: str) -> list[NotificationRoute]:
    """The enabled routes of ``event``."""
    return _ROUTES.get().get(event, [])


def _load_choices() -> dict:
    """Everyone's choices, as ``notify`` asks them: the channels each person turned off per kind of notice, who
    takes e-mail as a daily digest, and whether any chat robot is active (most installations have none)."""
    muted: dict[tuple[int, str], set[str]] = {}
    for user_id, event, inapp, email in NotificationPreference.objects.values_list("user_id", "event", "inapp", "email"):
        muted[(user_id, event)] = {channel for channel, on in ((Channel.INAPP, inapp), (Channel.EMAIL, email)) if not on}
    return {"muted": muted,
            "digest": set(MailDigest.objects.filter(daily=True).values_list("user_id", flat=True)),
            "robots": ChatRobot.objects.filter(is_active=True).exists()}


# Read on every notification, changed by a person or an admin now and then: kept per process like the routes.
_CHOICES = ProcessCache(_load_choices, ROUTES_TTL)


def connect_signals() -> None:
    """Empty the routes' cache when a route changes (after its commit) and after a migrate or flush, and the
    choices' cache when a preference, a digest or a robot changes; connected by ``NotificationsConfig.ready``."""
    from django.db.models.signals import post_delete, post_migrate, post_save

    post_save.connect(_ROUTES.changed, sender=NotificationRoute, dispatch_uid="notification_routes_saved")
    post_delete.connect(_ROUTES.changed, sender=NotificationRoute, dispatch_uid="notification_routes_deleted")
    post_migrate.connect(_ROUTES.forget, dispatch_uid="notification_routes_migrated")
    for model in (NotificationPreference, MailDigest, ChatRobot):
        name = model._meta.model_name
        post_save.connect(_CHOICES.changed, sender=model, dispatch_uid=f"notification_choices_{name}_saved")
        post_delete.connect(_CHOICES.changed, sender=model, dispatch_uid=f"notification_choices_{name}_deleted")
    post_migrate.connect(_CHOICES.forget, dispatch_uid="notification_choices_migrated")


def next_digest_at(now: datetime) -> datetime:
    """When the daily mail digest next goes out: ``ORDERLOOP_DIGEST_AT`` Beijing time, today or tomorrow."""
    hour, minute = (int(part) for part in settings.ORDERLOOP_DIGEST_AT.split(":"))
    local_now = now.astimezone(SHANGHAI)
    at = datetime.combine(local_now.date(), time(hour, minute), tzinfo=SHANGHAI)
    return at if at > local_now else at + timedelta(days=1)


def muted_channels(event: str, people) -> dict[int, set[str]]:
    """The channels each of ``people`` turned off for ``event`` (their notification preferences); no row: none."""
    muted = _CHOICES.get()["muted"]
    return {person.pk: muted[(person.pk, event)] for person in people if (person.pk, event) in muted}


def notify(*, event: str, key: str, subject: str, body: str = "", order=None, url: str = "",
           roles: dict[str, list[User]] | None = None, exclude: User | None = None,
           customer: CustomerMessage | None = None) -> int:
    """Record the notifications of ``event`` as the routing table says, in the current
    transaction; each (key, person, channel) only once. ``roles`` may name the people
    for a role instead of deriving them from the order; ``exclude`` (who caused it) is not told.
    A person gets the in-app and e-mail channels they did not turn off for ``event``
    (``NotificationPreference``); the team's chat group is the routing table's choice. The customer (a route
    to ``customer``) gets ``customer``, their own message, by e-mail or SMS (``customer_address``); without one,
    nothing: the colleagues' text and link are never the customer's."""
    now = clock.now()
    rows: list[Notification] = []
    robot_teams: set = set()
    wants_robot = False

    def add(channel, suffix, **fields):
        fields.setdefault("next_attempt_at", now)
        rows.append(Notification(
            key=f"{key}:{suffix}:{channel}"[:200], event=event, channel=channel, order=order, subject=subject[:200],
            body=body, url=url, created_at=now,
            state=Notification.State.SENT if channel == Channel.INAPP else Notification.State.PENDING,
            sent_at=now if channel == Channel.INAPP else None, **fields))

    routed = []
    routes = routes_for(event)
    found = recipients_of(order, [route.role for route in routes
                                  if route.role != "customer" and (roles or {}).get(route.role) is None])
    for route in routes:
        channels = route.channel_list
        if route.role == "customer":
            if customer is None:
                continue
            reach = customer_address(customer.customer, event)
            if reach.channel == SMS:
                rows.append(Notification(
                    key=f"{key}:customer:{reach.address}:{SMS}"[:200], event=event, channel=SMS, order=order,
                    address=reach.address, subject=customer.subject[:200], url=customer.link, created_at=now,
                    body=json.dumps({"text": customer.body, "params": customer.sms_params}, ensure_ascii=False),
                    next_attempt_at=now))
            elif reach.channel == Channel.EMAIL:
                rows.append(Notification(
                    key=f"{key}:customer:{reach.address}:{Channel.EMAIL}"[:200], event=event, channel=Channel.EMAIL,
                    order=order, address=reach.address, subject=customer.subject[:200], body=customer.body,
                    url=customer.link, created_at=now, next_attempt_at=now))
            else:
                logger.info("customer message %s not sent: %s", key, reach.problem)
            continue
        people = (roles or {}).get(route.role)
        people = found[route.role] if people is None else people
        routed.append((channels, [p for p in people if exclude is None or p.pk != exclude.pk]))
        wants_robot |= Channel.ROBOT in channels
    everyone = {p.pk: p for _channels, people in routed for p in people}
    muted = muted_channels(event, everyone.values())
    digesting = _CHOICES.get()["digest"]
    for channels, people in routed:
        for person in people:
            off = muted.get(person.pk, ())
            if Channel.INAPP in channels and Channel.INAPP not in off:
                add(Channel.INAPP, f"user:{person.pk}", recipient=person)
            if Channel.EMAIL in channels and person.email and Channel.EMAIL not in off:
                if person.pk in digesting:  # kept for the person's daily mail
                    add(Channel.EMAIL, f"user:{person.pk}", recipient=person, address=person.email, digest=True,
                        next_attempt_at=next_digest_at(now))
                else:
                    add(Channel.EMAIL, f"user:{person.pk}", recipient=person, address=person.email)
            robot_teams.add(person.team_id)
    if wants_robot and _CHOICES.get()["robots"]:
        if order is not None:
            robot_teams.add(order.owner.team_id)
        team_robots = ChatRobot.objects.filter(is_active=True).filter(Q(team__isnull=True) | Q(team_id__in=robot_teams - {None}))
        for robot in team_robots.only("pk"):
            add(Channel.ROBOT, f"robot:{robot.pk}", robot=robot, address=str(robot.pk))
    insert_rows(rows, ignore_conflicts=True)
    if any(row.channel != Channel.INAPP for row in rows) and not _delivery_asked():
        transaction.on_commit(_deliver_soon)
    return len(rows)


def _delivery_asked() -> bool:
    """This transaction already asks the worker to deliver once it commits: one task delivers every row."""
    return any(func is _deliver_soon for _savepoints, func, *_robust in connection.run_on_commit)


def _deliver_soon():
    try:
        deliver_outbox()  # a task for the worker
    except Exception:  # the periodic sweep delivers it anyway
        logger.exception("could not enqueue outbox delivery")


# --- the in-app inbox ---------------------------------------------------------

def inbox(user):
    return Notification.objects.filter(recipient=user, channel=Channel.INAPP)


def unread_of(recipient):
    """The unread notices of the in-app inbox of ``recipient`` (a user, their id, or an OuterRef to one)."""
    return inbox(recipient).filter(read_at__isnull=True)


# the menu's badge where the session did not read it (accounts.sessions), compiled once: a count as the one row of
# its group
UNREAD = PreparedRows(Notification, lambda user_id: unread_of(user_id).order_by()
                      .values("recipient_id").annotate(n=Count("id")).values_list("n"), params=1,
                      plan_once=True)


def unread_count(user) -> int:
    rows = UNREAD.all(user.pk)
    return rows[0][0] if rows else 0


def inbox_mark_read(*, user, ids=None) -> int:
    rows = unread_of(user)
    if ids is not None:
        rows = rows.filter(pk__in=db_ids(ids))
    return rows.update(read_at=clock.now())


# --- each person's choice of channels -------------------------------------------------------------------------

def preference_kinds(user) -> list[str]:
    """The kinds of notice (events) ``user`` may receive: those routed to one of their roles or to them by name,
    in the order of ``KINDS``."""
    roles = set(user.roles) | {"recipient"}
    events = {event for event, routes in _ROUTES.get().items() if any(route.role in roles for route in routes)}
    known = [event for event in KINDS if event in events]
    return known + sorted(events - set(known))


def preferences_of(user) -> tuple[list[dict], bool]:
    """Per kind of notice ``user`` may receive: its label and whether in-app and e-mail are on; and whether their
    e-mails come as one daily digest."""
    chosen = {p.event: p for p in NotificationPreference.objects.filter(user=user)}
    rows = []
    for event in preference_kinds(user):
        choice = chosen.get(event)
        rows.append({"event": event, "label": KINDS.get(event, event), "inapp": choice.inapp if choice else True,
                     "email": choice.email if choice else True})
    digest = MailDigest.objects.filter(user=user, daily=True).exists()
    return rows, digest


@transaction.atomic
def preferences_save(*, user, off: dict[str, set[str]], daily_digest: bool) -> None:
    """Keep ``user``'s choice: for each kind they may receive, the channels in ``off`` (inapp, email) are
    turned off and the others on; a kind with every channel on keeps no row (the default)."""
    for event in preference_kinds(user):
        channels = off.get(event, set())
        if not channels:
            NotificationPreference.objects.filter(user=user, event=event).delete()
            continue
        NotificationPreference.objects.update_or_create(user=user, event=event, defaults={
            "inapp": Channel.INAPP not in channels, "email": Channel.EMAIL not in channels})
    MailDigest.objects.update_or_create(user=user, defaults={"daily": daily_digest})
