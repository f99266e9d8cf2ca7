"""结清日期 on the instalments: the rows already settled get the latest 到账日期 of their receipts, or their
write-off's day if later (the day each was closed is not known: this is the earliest it can have been, and by it
nothing was outstanding), or its creation's day if that is later still (a row with neither: its amount was zero)."""
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import migrations, models
from django.db.models import Max, OuterRef, Subquery
from django.db.models.functions import Coalesce, Greatest, TruncDate


def settle_closed(apps, schema_editor):
    Instalment = apps.get_model("finance", "Instalment")
    Allocation = apps.get_model("finance", "Allocation")
    zone = ZoneInfo(settings.TIME_ZONE)
    latest = (Allocation.objects.filter(instalment=OuterRef("pk")).order_by().values("instalment")
              .annotate(day=Max("receipt__received_on")).values("day"))
    created = TruncDate("created_at", tzinfo=zone)
    # one statement: a row updated twice in a transaction has PostgreSQL check its foreign keys at the commit, and
    # an index cannot be made on a table with such checks pending
    Instalment.objects.filter(is_open=False).update(settled_on=Greatest(
        Coalesce(Subquery(latest), created), Coalesce(TruncDate("written_off_at", tzinfo=zone), created)))


class Migration(migrations.Migration):

    dependencies = [
        ('finance', '0006_invoice_withdrawn'),
        ('orders', '0031_paper_reading'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='instalment',
            name='settled_on',
            field=models.DateField(blank=True, null=True, verbose_name='结清日期'),
        ),
        migrations.RunPython(settle_closed, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name='instalment',
            index=models.Index(fields=['due_date'], name='instalment_due_idx'),
        ),
        migrations.AddIndex(
            model_name='instalment',
            index=models.Index(fields=['settled_on', 'created_at'], name='instalment_settled_idx'),
        ),
    ]
