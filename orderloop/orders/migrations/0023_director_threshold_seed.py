"""The director's threshold follows the seed ("大额订单(如超过万元)…需上报销售总监最终审批"): 10,000.00 instead of
100,000.00. The rule's row (created by 0007) moves only while it still holds the old default, so an amount an
admin chose stays. Beside it, the deadlines a monthly review's action item may change (DeadlineSetting)."""
import django.core.validators
from decimal import Decimal
from django.db import migrations, models


OLD_DEFAULT, NEW_DEFAULT = Decimal("100000.00"), Decimal("10000.00")


def threshold_to_seed(apps, schema_editor):
    ApprovalPolicy = apps.get_model("orders", "ApprovalPolicy")
    ApprovalPolicy.objects.filter(director_threshold=OLD_DEFAULT).update(director_threshold=NEW_DEFAULT)


def threshold_back(apps, schema_editor):
    ApprovalPolicy = apps.get_model("orders", "ApprovalPolicy")
    ApprovalPolicy.objects.filter(director_threshold=NEW_DEFAULT).update(director_threshold=OLD_DEFAULT)


class Migration(migrations.Migration):

    dependencies = [
        ('orders', '0022_timer_without_order'),
    ]

    operations = [
        migrations.CreateModel(
            name='DeadlineSetting',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(max_length=30, unique=True, verbose_name='期限')),
                ('amount', models.DecimalField(decimal_places=2, max_digits=6, verbose_name='时长')),
            ],
            options={
                'verbose_name': '期限设置',
                'verbose_name_plural': '期限设置',
            },
        ),
        migrations.AlterField(
            model_name='approvalpolicy',
            name='director_threshold',
            field=models.DecimalField(decimal_places=2, default=Decimal('10000.00'), help_text='大额订单（超过万元，默认 10,000 元）需总监审批；金额恰好等于此数时不需要', max_digits=14, validators=[django.core.validators.MinValueValidator(Decimal('0'))], verbose_name='总监审批金额（超过，元）'),
        ),
        migrations.RunPython(threshold_to_seed, threshold_back),
    ]
