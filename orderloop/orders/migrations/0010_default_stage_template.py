from django.db import migrations

STEPS = [("备货", 1, "warehouse"), ("生产", 5, "production"), ("包装", 1, "warehouse"), ("质检", 1, "warehouse")]


def create_template(apps, schema_editor):
    Template = apps.get_model("orders", "StageTemplate")
    Step = apps.get_model("orders", "StageTemplateStep")
    if Template.objects.exists():
        return
    template = Template.objects.create(name="标准备货生产", is_default=True)
    for position, (name, days, role) in enumerate(STEPS, 1):
        Step.objects.create(template=template, position=position, name=name, working_days=days, owner_role=role)


class Migration(migrations.Migration):
    dependencies = [("orders", "0009_stage_templates")]
    operations = [migrations.RunPython(create_template, migrations.RunPython.noop)]
