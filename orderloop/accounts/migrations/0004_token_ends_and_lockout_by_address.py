import hashlib

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def fingerprint_existing_tokens(apps, schema_editor):
    """Tokens issued before: they belong to the user's password as it is now."""
    ApiToken = apps.get_model("accounts", "ApiToken")
    for token in ApiToken.objects.select_related("user").only("pk", "user__password").iterator():
        ApiToken.objects.filter(pk=token.pk).update(
            password_fingerprint=hashlib.sha256((token.user.password or "").encode()).hexdigest())


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0003_login_failure'),
    ]

    operations = [
        migrations.AddField(
            model_name='apitoken',
            name='key_prefix',
            field=models.CharField(blank=True, max_length=8, verbose_name='令牌开头'),
        ),
        migrations.AddField(
            model_name='apitoken',
            name='password_fingerprint',
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.AddField(
            model_name='apitoken',
            name='revoked_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL,
                                    related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='撤销人'),
        ),
        migrations.AddField(
            model_name='apitoken',
            name='end_reason',
            field=models.CharField(blank=True, choices=[('revoked', '已撤销'), ('password_changed', '密码已更改'),
                                                        ('deactivated', '账号已停用')],
                                   max_length=20, verbose_name='失效原因'),
        ),
        migrations.RunPython(fingerprint_existing_tokens, migrations.RunPython.noop),
        migrations.RenameField(
            model_name='loginfailure',
            old_name='locks_username',
            new_name='locks_username_at_address',
        ),
        migrations.AddField(
            model_name='loginfailure',
            name='unlocked',
            field=models.BooleanField(default=False, verbose_name='已由管理员解除'),
        ),
        migrations.AlterField(
            model_name='apitoken',
            name='created_at',
            field=models.DateTimeField(verbose_name='创建时间'),
        ),
        migrations.AlterField(
            model_name='apitoken',
            name='expires_at',
            field=models.DateTimeField(verbose_name='到期时间'),
        ),
        migrations.AlterField(
            model_name='apitoken',
            name='last_used_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='最近使用'),
        ),
        migrations.AlterField(
            model_name='apitoken',
            name='revoked_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='失效时间'),
        ),
        migrations.AlterField(
            model_name='apitoken',
            name='user',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='api_tokens', to=settings.AUTH_USER_MODEL, verbose_name='用户'),
        ),
        migrations.AlterField(
            model_name='loginfailure',
            name='at',
            field=models.DateTimeField(db_index=True, verbose_name='时间'),
        ),
        migrations.AlterField(
            model_name='loginfailure',
            name='cleared',
            field=models.BooleanField(default=False, verbose_name='已由登录成功清除'),
        ),
        migrations.AlterField(
            model_name='loginfailure',
            name='ip_address',
            field=models.GenericIPAddressField(blank=True, db_index=True, null=True, verbose_name='地址'),
        ),
        migrations.AlterField(
            model_name='loginfailure',
            name='locks_address',
            field=models.BooleanField(default=False, verbose_name='锁定该地址'),
        ),
        migrations.AlterField(
            model_name='loginfailure',
            name='locks_username_at_address',
            field=models.BooleanField(default=False, verbose_name='锁定该地址的此用户名'),
        ),
        migrations.AlterField(
            model_name='loginfailure',
            name='username',
            field=models.CharField(db_index=True, max_length=150, verbose_name='用户名'),
        ),
    ]
