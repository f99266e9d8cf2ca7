from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("setup", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="SiteAddress",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("url", models.URLField(blank=True, max_length=300, verbose_name="网站地址")),
                ("seen_url", models.URLField(blank=True, max_length=300, verbose_name="登录时使用的地址")),
                ("seen_at", models.DateTimeField(blank=True, null=True)),
            ],
            options={"verbose_name": "网站地址", "verbose_name_plural": "网站地址"},
        ),
    ]
