"""Each instalment keeps its order's 销售负责人 and customer, and the latest 到账日期 of its receipts: the rows there
are get them from their orders and allocations in one statement (a row updated twice in one transaction leaves
PostgreSQL foreign-key checks pending, which the next migration's ALTER would refuse); 0009 makes the first two
required."""
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.db.models import Max, OuterRef, Subquery


def copy_from_orders(apps, schema_editor):
    Instalment = apps.get_model("finance", "Instalment")
    Allocation = apps.get_model("finance", "Allocation")
    SalesOrder = apps.get_model("orders", "SalesOrder")
    order = SalesOrder.objects.filter(pk=OuterRef("order_id"))
    latest = (Allocation.objects.filter(instalment=OuterRef("pk")).order_by().values("instalment")
              .annotate(day=Max("receipt__received_on")).values("day"))
    Instalment.objects.update(owner_id=Subquery(order.values("owner_id")), customer_id=Subquery(order.values("customer_id")),
                              last_received_on=Subquery(latest))


class Migration(migrations.Migration):

    dependencies = [
        ("finance", "0007_instalment_settled_on"),
        ("masterdata", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="instalment",
            name="owner",
            field=models.ForeignKey(db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+",
                                    to=settings.AUTH_USER_MODEL, verbose_name="销售负责人"),
        ),
        migrations.AddField(
            model_name="instalment",
            name="customer",
            field=models.ForeignKey(db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+",
                                    to="masterdata.customer", verbose_name="客户"),
        ),
        migrations.AddField(
            model_name="instalment",
            name="last_received_on",
            field=models.DateField(blank=True, null=True, verbose_name="最近到账日期"),
        ),
        migrations.RunPython(copy_from_orders, migrations.RunPython.noop),
    ]
