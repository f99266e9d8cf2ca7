import django.db.models.deletion
from django.db import migrations, models

# The presets as they were when this migration was written (masterdata/payment_terms.py PRESETS).
PRESETS = {
    "款到发货": [{"percent": "100", "trigger": "before_shipment", "days": 0, "working_days": False}],
    "30%预付,余款到付": [{"percent": "30", "trigger": "on_confirmation", "days": 0, "working_days": False},
                      {"percent": "70", "trigger": "on_delivery", "days": 0, "working_days": False}],
    "货到付款": [{"percent": "100", "trigger": "on_delivery", "days": 0, "working_days": False}],
    "月结30天": [{"percent": "100", "trigger": "days_after_invoice", "days": 30, "working_days": False}],
    "验收后60天": [{"percent": "100", "trigger": "days_after_delivery", "days": 60, "working_days": False}],
    "质保金5%一年": [{"percent": "95", "trigger": "on_delivery", "days": 0, "working_days": False},
                {"percent": "5", "trigger": "days_after_delivery", "days": 365, "working_days": False}],
}


def create_presets(apps, schema_editor):
    PaymentTerm = apps.get_model("masterdata", "PaymentTerm")
    for name, instalments in PRESETS.items():
        PaymentTerm.objects.get_or_create(name=name, defaults={"instalments": instalments})


class Migration(migrations.Migration):
    dependencies = [("masterdata", "0007_notice_channel")]

    operations = [
        migrations.CreateModel(
            name="PaymentTerm",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("name", models.CharField(max_length=100, unique=True, verbose_name="付款条件")),
                ("instalments", models.JSONField(default=list, verbose_name="分期")),
                ("is_active", models.BooleanField(default=True, verbose_name="有效")),
            ],
            options={"verbose_name": "付款条件", "verbose_name_plural": "付款条件", "ordering": ["name"]},
        ),
        migrations.AddField(
            model_name="customer",
            name="payment_term",
            field=models.ForeignKey(blank=True, help_text="按期次计算订单的付款计划；留空时按付款方式文字识别", null=True,
                                    on_delete=django.db.models.deletion.PROTECT, related_name="customers",
                                    to="masterdata.paymentterm", verbose_name="结构化付款条件"),
        ),
        migrations.RunPython(create_presets, migrations.RunPython.noop),
    ]
