import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("finance", "0008_instalment_owner_customer"),
    ]

    operations = [
        migrations.AlterField(
            model_name="instalment",
            name="owner",
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name="+",
                                    to=settings.AUTH_USER_MODEL, verbose_name="销售负责人"),
        ),
        migrations.AlterField(
            model_name="instalment",
            name="customer",
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name="+",
                                    to="masterdata.customer", verbose_name="客户"),
        ),
    ]
