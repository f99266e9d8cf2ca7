"""Delivery of the outbox: ``outbox_deliver`` sends the notifications that are due, from any number of workers
at once (each batch claimed under a lease), e-mails one by one and chat robots merged within their rate limits.
The worker's tasks (notifications.tasks) call it."""
import hashlib
import json
import logging
import uuid
from datetime import timedelta
from urllib.parse import urlsplit

from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from orderloop.core import clock
from orderloop.notifications import robots, sms
from orderloop.notifications.models import SMS, ChatRobot, Channel, Notification
from orderloop.setup.models import SmsSettings
from orderloop.setup.site import site_url

logger = logging.getLogger(__name__)
LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 8
MERGE_AT_MOST = 10


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


def _fail(rows, claim, *, error):
    """Given up at once: trying again changes nothing (the provider refused the number, template or key)."""
    Notification.objects.filter(pk__in=[r.pk for r in rows], claim=claim).update(
        attempts=MAX_ATTEMPTS, claimed_until=None, last_error=error[:2000], state=Notification.State.FAILED)


def _deliver_sms(row, claim, now, settings) -> int:
    """One customer SMS through the provider (notifications.sms); refused for good: failed at once, for the order's
    side to show (orders.timers.notice_failures_record); failed for now: again later, with backoff."""
    params = json.loads(row.body or "{}").get("params", {})
    outcome = sms.send(settings, phone=row.address, kind=row.event, params=params, out_id=str(row.pk))
    if outcome.ok:
        _mark_sent([row], claim, now)
        return 1
    logger.warning("SMS to %s failed: %s", row.address, outcome.error)
    if outcome.retry:
        _release([row], claim, retry_at=now + timedelta(minutes=2 ** min(row.attempts, 6)), error=outcome.error)
    else:
        _fail([row], claim, error=outcome.error)
    return 0


def message_id(key: str) -> str:
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:32]}@orderloop>"


def absolute_url(url: str) -> str:
    """A notification's link as a reader outside the app follows it: a path gets the site's address in front, a
    complete URL (the customer's rating link) stays as it is."""
    if not url or urlsplit(url).scheme:
        return url
    return site_url(url)


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
    digests: dict[str, list] = {}
    sms_settings = SmsSettings.current() if any(row.channel == SMS for row in rows) else None
    for row in rows:
        if row.channel == SMS:
            sent += _deliver_sms(row, claim, now, sms_settings)
            continue
        if row.channel == Channel.ROBOT:
            by_robot.setdefault(row.robot_id, []).append(row)
            continue
        if row.digest:
            digests.setdefault(row.address, []).append(row)
            continue
        try:
            _send_email(row)
        except Exception as exc:  # any mail error: try again later, with backoff
            logger.warning("mail to %s failed: %s", row.address, exc)
            _release([row], claim, retry_at=now + timedelta(minutes=2 ** min(row.attempts, 6)), error=str(exc))
        else:
            _mark_sent([row], claim, now)
            sent += 1
    for address, digest_rows in digests.items():
        sent += _deliver_digest(address, digest_rows, claim, now)
    for robot_id, robot_rows in by_robot.items():
        sent += _deliver_robot(robot_id, robot_rows, claim, now)
    return sent


def digest_text(rows) -> str:
    parts = []
    for i, row in enumerate(rows, 1):
        link = absolute_url(row.url)
        parts.append("\n".join(part for part in [f"{i}. {row.subject}", row.body,
                                                  link if link not in row.body else ""] if part))
    return "\n\n".join(parts)


def _deliver_digest(address, rows, claim, now) -> int:
    """A person's e-mail notices of the day as one mail (邮件汇总：每日一次)."""
    try:
        EmailMessage(subject=_("orderloop 每日通知汇总（%(n)s 条）") % {"n": len(rows)}, body=digest_text(rows),
                     to=[address], headers={"Message-ID": message_id("|".join(row.key for row in rows))}).send()
    except Exception as exc:  # any mail error: the whole digest again later
        logger.warning("digest to %s failed: %s", address, exc)
        _release(rows, claim, retry_at=now + timedelta(minutes=2 ** min(rows[0].attempts, 6)), error=str(exc))
        return 0
    _mark_sent(rows, claim, now)
    return len(rows)
