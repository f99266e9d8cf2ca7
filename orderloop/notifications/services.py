"""Notifications: ``notify`` writes the outbox inside the caller's transaction;
``outbox_deliver`` sends what is due, from any number of workers at once."""
import hashlib
import logging
import uuid
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Q

from orderloop.accounts.models import User
from orderloop.core import clock
from orderloop.core.process_cache import ProcessCache
from orderloop.notifications import robots
from orderloop.notifications.models import ChatRobot, Channel, Notification, NotificationRoute

logger = logging.getLogger(__name__)
LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 8
MERGE_AT_MOST = 10


def users_with_role(role: str):
    return User.objects.filter(is_active=True, groups__name=role).distinct()


def recipients(order, role: str) -> list[User]:
    """The people who play ``role`` for ``order``."""
    if order is None:
        return list(users_with_role(role))
    if role == "sales_manager":
        teams = [t for t in (order.owner.team_id, order.entered_by.team_id if order.entered_by else None) if t]
        managers = list(users_with_role(role).filter(managed_teams__in=teams).distinct())
        return managers or list(users_with_role(role))
    if role == "account_manager":
        people = [order.owner, order.customer.owner]
        return list({u.pk: u for u in people if u and u.is_active and u.has_role(role)}.values())
    if role == "sales_assistant":
        return [order.entered_by] if order.entered_by and order.entered_by.is_active else []
    return list(users_with_role(role))


def _customer_email(order) -> str:
    contact = order.customer.contacts.filter(email__gt="").order_by("-is_primary", "id").first()
    return contact.email if contact else ""


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


def _connect_signals() -> None:
    from django.db.models.signals import post_delete, post_migrate, post_save

    post_save.connect(_ROUTES.changed, sender=NotificationRoute, dispatch_uid="notification_routes_saved")
    post_delete.connect(_ROUTES.changed, sender=NotificationRoute, dispatch_uid="notification_routes_deleted")
    post_migrate.connect(_ROUTES.forget, dispatch_uid="notification_routes_migrated")


_connect_signals()


def notify(*, event: str, key: str, subject: str, body: str = "", order=None, url: str = "",
           roles: dict[str, list[User]] | None = None) -> int:
    """Record the notifications of ``event`` as the routing table says, in the current
    transaction; each (key, person, channel) only once. ``roles`` may name the people
    for a role instead of deriving them from the order."""
    now = clock.now()
    rows: list[Notification] = []
    robot_teams: set = set()
    wants_robot = False

    def add(channel, suffix, **fields):
        rows.append(Notification(
            key=f"{key}:{suffix}:{channel}"[:200], event=event, channel=channel, order=order, subject=subject[:200],
            body=body, url=url, created_at=now, next_attempt_at=now,
            state=Notification.State.SENT if channel == Channel.INAPP else Notification.State.PENDING,
            sent_at=now if channel == Channel.INAPP else None, **fields))

    for route in routes_for(event):
        channels = route.channel_list
        if route.role == "customer":
            email = _customer_email(order) if order else ""
            if email and Channel.EMAIL in channels:
                add(Channel.EMAIL, f"customer:{email}", address=email)
            continue
        people = (roles or {}).get(route.role)
        people = recipients(order, route.role) if people is None else people
        for person in people:
            if Channel.INAPP in channels:
                add(Channel.INAPP, f"user:{person.pk}", recipient=person)
            if Channel.EMAIL in channels and person.email:
                add(Channel.EMAIL, f"user:{person.pk}", recipient=person, address=person.email)
            robot_teams.add(person.team_id)
        wants_robot |= Channel.ROBOT in channels
    if wants_robot:
        if order is not None:
            robot_teams.add(order.owner.team_id)
        team_robots = ChatRobot.objects.filter(is_active=True).filter(Q(team__isnull=True) | Q(team_id__in=robot_teams - {None}))
        for robot in team_robots:
            add(Channel.ROBOT, f"robot:{robot.pk}", robot=robot, address=str(robot.pk))
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    if any(row.channel != Channel.INAPP for row in rows):
        transaction.on_commit(_deliver_soon)
    return len(rows)


def _deliver_soon():
    try:
        from orderloop.notifications.tasks import deliver_outbox

        deliver_outbox()
    except Exception:  # the periodic sweep delivers it anyway
        logger.exception("could not enqueue outbox delivery")


# --- delivery ---------------------------------------------------------------

def _claim(now, batch: int) -> tuple[str, list[int]]:
    claim = uuid.uuid4().hex
    with transaction.atomic():
        ids = list(
            Notification.objects.select_for_update(skip_locked=True)
            .filter(state=Notification.State.PENDING)
            .exclude(channel=Channel.INAPP)
            .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
            .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
            .order_by("id").values_list("id", flat=True)[:batch]
        )
        Notification.objects.filter(pk__in=ids).update(claimed_until=now + LEASE, claim=claim)
    return claim, ids


def _mark_sent(rows, claim, now):
    Notification.objects.filter(pk__in=[r.pk for r in rows], claim=claim).update(
        state=Notification.State.SENT, sent_at=now, claimed_until=None, last_error="")


def _release(rows, claim, *, retry_at, error="", count_attempt=True):
    for row in rows:
        attempts = row.attempts + (1 if count_attempt else 0)
        failed = attempts >= MAX_ATTEMPTS
        Notification.objects.filter(pk=row.pk, claim=claim).update(
            attempts=attempts, next_attempt_at=retry_at, claimed_until=None, last_error=error[:2000],
            state=Notification.State.FAILED if failed else Notification.State.PENDING)


def message_id(key: str) -> str:
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:32]}@orderloop>"


def absolute_url(url: str) -> str:
    """A notification's link as a reader outside the app follows it: a path gets the site's address in front, a
    complete URL (the customer's rating link) stays as it is."""
    if not url or urlsplit(url).scheme:
        return url
    return settings.ORDERLOOP_BASE_URL.rstrip("/") + url


def _send_email(row) -> None:
    link = absolute_url(row.url)
    text = row.body if link in row.body else f"{row.body}\n\n{link}"  # the rating link is in its text already
    EmailMessage(subject=row.subject, body=text, to=[row.address],
                 headers={"Message-ID": message_id(row.key)}).send()


def robot_text(rows) -> str:
    if len(rows) == 1:
        row = rows[0]
        return "\n".join(part for part in [row.subject, row.body, absolute_url(row.url)] if part)
    lines = [f"orderloop 通知（{len(rows)} 条）"]
    lines += [f"{i}. {row.subject}" + (f" {absolute_url(row.url)}" if row.url else "") for i, row in enumerate(rows, 1)]
    return "\n".join(lines)


def _take_robot_slot(robot_id, now):
    """Count one message against the robot's per-minute limit; returns (True, None) or (False, retry_at)."""
    with transaction.atomic():
        robot = ChatRobot.objects.select_for_update().get(pk=robot_id)
        if robot.paused_until and robot.paused_until > now:
            return robot, robot.paused_until
        if robot.window_started_at is None or robot.window_started_at <= now - timedelta(minutes=1):
            robot.window_started_at, robot.window_count = now, 0
        if robot.window_count >= robot.per_minute:
            return robot, robot.window_started_at + timedelta(minutes=1)
        robot.window_count += 1
        robot.save(update_fields=["window_started_at", "window_count"])
        return robot, None


def _deliver_robot(robot_id, rows, claim, now) -> int:
    """Send ``rows`` to one robot, merged into messages of at most ten, within its rate limit."""
    sent = 0
    while rows:
        robot, retry_at = _take_robot_slot(robot_id, now)
        if retry_at is not None:
            _release(rows, claim, retry_at=retry_at, count_attempt=False)
            break
        sending, rows = rows[:MERGE_AT_MOST], rows[MERGE_AT_MOST:]
        outcome = robots.post(robot, robot_text(sending))
        if outcome.ok:
            _mark_sent(sending, claim, now)
            sent += len(sending)
            continue
        if outcome.throttled:
            pause = timedelta(minutes=10 if robot.kind == "dingtalk" else 1)
            ChatRobot.objects.filter(pk=robot.pk).update(paused_until=now + pause)
            _release(sending + rows, claim, retry_at=now + pause, error=outcome.error, count_attempt=False)
        else:
            retry_at = now + timedelta(minutes=2 ** min(sending[0].attempts, 6))
            _release(sending + rows, claim, retry_at=retry_at, error=outcome.error)
        break
    return sent


def outbox_deliver(*, batch: int = 200, now=None) -> int:
    """Send the due notifications; returns how many were sent."""
    now = now or clock.now()
    claim, ids = _claim(now, batch)
    if not ids:
        return 0
    rows = list(Notification.objects.filter(pk__in=ids, claim=claim).order_by("id"))
    sent = 0
    by_robot: dict[int, list] = {}
    for row in rows:
        if row.channel == Channel.ROBOT:
            by_robot.setdefault(row.robot_id, []).append(row)
            continue
        try:
            _send_email(row)
        except Exception as exc:  # any mail error: try again later, with backoff
            logger.warning("mail to %s failed: %s", row.address, exc)
            _release([row], claim, retry_at=now + timedelta(minutes=2 ** min(row.attempts, 6)), error=str(exc))
        else:
            _mark_sent([row], claim, now)
            sent += 1
    for robot_id, robot_rows in by_robot.items():
        sent += _deliver_robot(robot_id, robot_rows, claim, now)
    return sent


# --- the in-app inbox ---------------------------------------------------------

def inbox(user):
    return Notification.objects.filter(recipient=user, channel=Channel.INAPP)


def unread_count(user) -> int:
    return inbox(user).filter(read_at__isnull=True).count()


def inbox_mark_read(*, user, ids=None) -> int:
    rows = inbox(user).filter(read_at__isnull=True)
    if ids is not None:
        rows = rows.filter(pk__in=ids)
    return rows.update(read_at=clock.now())
