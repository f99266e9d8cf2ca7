"""审计日志 names people, not ids: who acted and the person a change points at, by name and role; each field by
the name its own record gives it (a customer's 客户名称, not the 环节 of a stage plan)."""
from orderloop.core.audit import audit_record
from tests.support.customers import make_customer
from tests.support.users import make_user


def test_the_audit_log_names_people_and_fields(users, client):
    users["account_manager"].display_name = "王经理"
    users["account_manager"].save()
    other = make_user("account_manager2", "account_manager")
    other.display_name = "赵经理"
    other.save()
    customer = make_customer("科技有限公司", owner=users["account_manager"])
    audit_record(actor=users["account_manager"], obj=customer, operation="updated",
                 changes={"name": ["科技公司", "科技有限公司"], "owner": [users["account_manager"].pk, other.pk]})
    client.force_login(users["sales_director"])
    page = client.get("/audit/", {"object_type": "masterdata.customer"}).content.decode()
    row = page.split('id="audit"', 1)[1]
    assert "<td>王经理（客户经理）</td>" in row  # who acted
    assert "客户名称：科技公司 → 科技有限公司" in row and "环节" not in row
    assert "客户经理：王经理（客户经理） → 赵经理（客户经理）" in row
    assert f"→ {other.pk}<" not in row and f"{users['account_manager'].pk} →" not in row


def test_the_system_acts_as_the_system(users, client):
    customer = make_customer("科技有限公司", owner=users["account_manager"])
    audit_record(actor=None, obj=customer, operation="updated", changes={"credit_limit": ["0", "10000"]})
    client.force_login(users["sales_director"])
    page = client.get("/audit/", {"object_type": "masterdata.customer"}).content.decode()
    assert "<td>系统</td>" in page.split('id="audit"', 1)[1]
