"""Sessions move to accounts.Session, which keeps the signed-in user as a column (accounts.sessions): the
sessions still open are copied from Django's django_session (their user read from their data) and removed there,
so nobody is signed out by the upgrade (nor, going back, by a downgrade)."""
import django.db.models.deletion
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.db import migrations, models
from django.utils import timezone

BATCH = 1000


def _user_id(value):
    return int(value) if isinstance(value, str) and value.isdecimal() else None


def move_open_sessions(apps, schema_editor):
    Old, New = apps.get_model("sessions", "Session"), apps.get_model("accounts", "Session")
    User = apps.get_model(*settings.AUTH_USER_MODEL.split("."))
    store = SessionStore()  # decodes as the new store does: the same signing salt
    open_sessions = Old.objects.filter(expire_date__gt=timezone.now()).order_by("session_key")
    last = ""
    while batch := list(open_sessions.filter(session_key__gt=last)[:BATCH]):
        named = {s.session_key: _user_id(store.decode(s.session_data).get(SESSION_KEY)) for s in batch}
        users = set(User.objects.filter(pk__in={pk for pk in named.values() if pk is not None})
                    .values_list("pk", flat=True))
        New.objects.bulk_create([
            New(session_key=s.session_key, session_data=s.session_data, expire_date=s.expire_date,
                user_id=named[s.session_key] if named[s.session_key] in users else None)
            for s in batch])
        last = batch[-1].session_key
    Old.objects.all().delete()


def move_open_sessions_back(apps, schema_editor):
    """Unapplied: the open sessions go back to Django's table, so nobody is signed out by a downgrade either."""
    Old, New = apps.get_model("sessions", "Session"), apps.get_model("accounts", "Session")
    open_sessions = New.objects.filter(expire_date__gt=timezone.now()).order_by("session_key")
    last = ""
    while batch := list(open_sessions.filter(session_key__gt=last)[:BATCH]):
        Old.objects.bulk_create([Old(session_key=s.session_key, session_data=s.session_data, expire_date=s.expire_date)
                                 for s in batch], ignore_conflicts=True)
        last = batch[-1].session_key


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0005_finance_role'),
        ('sessions', '0001_initial'),
    ]

    operations = [
        migrations.CreateModel(
            name='Session',
            fields=[
                ('session_key', models.CharField(max_length=40, primary_key=True, serialize=False, verbose_name='session key')),
                ('session_data', models.TextField(verbose_name='session data')),
                ('expire_date', models.DateTimeField(db_index=True, verbose_name='expire date')),
                ('user', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='用户')),
            ],
            options={
                'verbose_name': '登录会话',
                'verbose_name_plural': '登录会话',
                'abstract': False,
            },
        ),
        migrations.RunPython(move_open_sessions, move_open_sessions_back),
    ]
