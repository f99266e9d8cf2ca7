"""Customers from the company's customer list (issue #25): recognised by credit code, then by name; several rows of
one customer add its contacts; 科技 and 科技有限公司 are one customer with the same credit code and two, flagged,
with different ones; a re-upload skips what is there; a file with any problem is refused whole, each problem named
by row and column."""
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from orderloop.core.exceptions import NotAllowed
from orderloop.core.models import AuditEntry
from orderloop.golive.customers import COLUMNS, name_key
from orderloop.golive.models import ImportRun
from orderloop.golive.services import import_apply, import_preview, import_template
from orderloop.masterdata.models import Contact, Customer
from tests.support.users import make_user
from tests.support.workbooks import workbook

pytestmark = pytest.mark.django_db

KEJI = "91310115MA1FL5C15C"  # the credit code of the `customer` fixture, 科技有限公司
YUNZHAN, HAIXING = "91110108MA01A2B3CF", "91440300MA5FAAAA13"


def sheet(rows) -> bytes:
    """Rows in the template's columns: 客户名称, 客户编码, 统一社会信用代码, 地址, 联系人, 联系方式, 邮箱, 信用额度(元), 客户经理, 付款方式."""
    return workbook([list(row) + [""] * (len(COLUMNS) - len(row)) for row in rows], header=COLUMNS)


def imported(admin, content, filename="客户.xlsx") -> ImportRun:
    run = import_preview(actor=admin, kind="customers", content=content, filename=filename)
    return import_apply(actor=admin, run_id=run.pk) if run.state == ImportRun.State.PREVIEWED else run


def counts(run) -> tuple:
    return run.summary["create"], run.summary["update"], run.summary["skip"]


CLEAN = [["北京云栈科技有限公司", "C-0001", YUNZHAN, "北京市海淀区中关村大街1号", "王*", "138 0000 2222", "wang@example.com",
          "200,000", "account_manager", "30%预付,余款到付"],
         ["北京云栈科技有限公司", "", YUNZHAN, "", "赵*", "010-62345678"],
         ["深圳海星电子", "C-0002", HAIXING, "深圳市南山区", "钱*", "13900003333", "", "", "", "货到付款"]]


def test_a_clean_file_is_previewed_then_created_and_a_second_upload_skips_everything(users):
    admin = users["admin"]
    run = import_preview(actor=admin, kind="customers", content=sheet(CLEAN), filename="客户.xlsx")
    assert run.state == ImportRun.State.PREVIEWED
    assert counts(run) == (2, 0, 0)
    assert run.summary["create_rows"] == ["第2行 北京云栈科技有限公司", "第4行 深圳海星电子"]
    assert Customer.objects.count() == 0

    run = import_apply(actor=admin, run_id=run.pk)
    assert run.state == ImportRun.State.APPLIED
    yunzhan = Customer.objects.get(uscc=YUNZHAN)
    assert (yunzhan.name, yunzhan.code, yunzhan.address, yunzhan.credit_limit, yunzhan.owner, yunzhan.payment_terms,
            yunzhan.initials) == ("北京云栈科技有限公司", "C-0001", "北京市海淀区中关村大街1号", Decimal("200000.00"),
                                  users["account_manager"], "30%预付,余款到付", "bjyzkjyxgs")
    assert [(c.name, c.phone, c.email, c.is_primary) for c in yunzhan.contacts.all()] == [
        ("王*", "+8613800002222", "wang@example.com", True), ("赵*", "+861062345678", "", False)]
    haixing = Customer.objects.get(name="深圳海星电子")
    assert (haixing.owner, haixing.credit_limit, haixing.contacts.get().is_primary) == (None, Decimal("0.00"), True)
    assert AuditEntry.objects.filter(object_type="masterdata.customer", operation="imported").count() == 2

    again = imported(admin, sheet(CLEAN))
    assert counts(again) == (0, 0, 2)
    assert (Customer.objects.count(), Contact.objects.count()) == (2, 3)


def test_a_changed_field_updates_the_customer_audited_and_blank_cells_keep_what_is_there(users):
    admin = users["admin"]
    imported(admin, sheet(CLEAN))
    changed = [["北京云栈科技有限公司", "", YUNZHAN, "", "王*", "13800002222", "", "300000"],  # credit limit changed
               ["深圳海星电子", "C-0002", HAIXING, "深圳市南山区", "钱*", "13900003333"],
               ["深圳海星电子", "", "", "", "孙*", "13900004444"]]                           # a new contact
    run = imported(admin, sheet(changed))
    assert counts(run) == (0, 2, 0)
    yunzhan = Customer.objects.get(uscc=YUNZHAN)
    assert (yunzhan.credit_limit, yunzhan.code, yunzhan.owner) == (Decimal("300000.00"), "C-0001", users["account_manager"])
    assert yunzhan.contacts.count() == 2
    entry = AuditEntry.objects.filter(object_id=str(yunzhan.pk), operation="imported").order_by("-id").first()
    assert entry.changes == {"credit_limit": ["200000.00", "300000.00"]}
    assert [(c.name, c.is_primary) for c in Customer.objects.get(name="深圳海星电子").contacts.all()] == [
        ("钱*", True), ("孙*", False)]


def test_one_bad_credit_code_and_one_phone_with_letters_refuse_the_whole_file(users, customer):
    before = (Customer.objects.count(), Contact.objects.count())
    rows = [CLEAN[0], ["深圳海星电子", "", "91440300MA5FAAAA12", "", "钱*", "13900003333"],
            ["广州蓝鲸物流", "", "", "", "孙*", "139abc0000"]]
    run = imported(users["admin"], sheet(rows))
    assert run.state == ImportRun.State.REFUSED
    assert run.summary["errors"] == {"第3行 统一社会信用代码(C)": ["统一社会信用代码校验位不正确"],
                                     "第4行 联系方式(F)": ["联系方式格式不正确：139abc0000"]}
    assert (Customer.objects.count(), Contact.objects.count()) == before


def test_other_mistakes_are_named_by_row_and_column(users):
    rows = [["", "", "", "", "王*"],
            ["深圳海星电子", "", "", "", "", "13900003333", "not-an-email", "-5", "nobody"],
            ["深圳海星电子", "", "", "", "钱*", "", "", "100", "sales_manager"],
            ["深圳海星电子", "", "", "", "", "", "", "1.234"]]
    run = imported(users["admin"], sheet(rows))
    assert run.summary["errors"] == {
        "第2行 客户名称(A)": ["必填"], "第3行 联系人(E)": ["填写联系方式或邮箱时，联系人必填"], "第3行 邮箱(G)": ["邮箱格式不正确"],
        "第3行 信用额度(元)(H)": ["不能小于 0"], "第3行 客户经理(I)": ["用户不存在：nobody"],
        "第4行 客户经理(I)": ["sales_manager 不是客户经理，不能负责客户"], "第5行 信用额度(元)(H)": ["最多两位小数"]}
    assert Customer.objects.count() == 0


def test_rows_of_one_customer_that_disagree_are_refused(users):
    rows = [["深圳海星电子", "C-0002", HAIXING, "", "钱*", "13900003333"],
            ["深圳海星电子", "C-0003", "", "", "孙*", "13900004444"]]
    run = imported(users["admin"], sheet(rows))
    assert run.summary["errors"] == {"第3行 客户编码(B)": ["与第2行同一客户的客户编码不一致"]}


def test_keji_and_keji_youxian_gongsi_with_the_same_credit_code_are_one_customer(users, customer):
    run = imported(users["admin"], sheet([["科技", "K-9", KEJI, "", "李*", "13800001111", "buyer@example.com"],
                                          ["科技", "", KEJI, "", "周*", "13800005555"]]))
    assert counts(run) == (0, 1, 0)
    assert run.summary["update_rows"] == ["第2行 科技有限公司：客户编码 （空） → K-9；新增联系人 周*"]
    assert run.summary["notes"] == ["第2行 “科技”与系统中的客户“科技有限公司”统一社会信用代码相同：按同一客户更新，保留系统中的名称"]
    assert list(Customer.objects.values_list("name", "code")) == [("科技有限公司", "K-9")]
    assert [c.name for c in customer.contacts.all()] == ["李*", "周*"]  # 李* was there already (same name and phone)


def test_within_one_file_the_same_credit_code_under_two_names_is_one_customer(users):
    run = imported(users["admin"], sheet([["云栈科技有限公司", "", YUNZHAN, "", "王*", "13800002222"],
                                          ["云栈科技", "", YUNZHAN, "", "赵*", "13800003333"]]))
    assert counts(run) == (1, 0, 0)
    assert run.summary["notes"] == ["第3行 客户名称“云栈科技”与第2行“云栈科技有限公司”的统一社会信用代码相同，按同一客户导入，名称用“云栈科技有限公司”"]
    assert Customer.objects.get().contacts.count() == 2


def test_keji_and_keji_youxian_gongsi_with_different_credit_codes_are_two_customers_flagged(users, customer):
    run = imported(users["admin"], sheet([["科技", "", YUNZHAN, "", "王*", "13800002222"],
                                          ["科技（集团）股份有限公司", "", "", "", "赵*", "13800003333"]]))
    assert run.state == ImportRun.State.APPLIED
    assert counts(run) == (2, 0, 0)
    assert run.summary["notes"] == [
        "疑似重复，请核对：第2行“科技”与系统中的客户“科技有限公司”名称相近；统一社会信用代码不同，按两个客户处理",
        "疑似重复，请核对：第3行“科技（集团）股份有限公司”与系统中的客户“科技有限公司”名称相近；缺少统一社会信用代码，无法确认是否同一客户，按两个客户处理",
        "疑似重复，请核对：第3行“科技（集团）股份有限公司”与第2行的客户“科技”名称相近；缺少统一社会信用代码，无法确认是否同一客户，按两个客户处理"]
    assert sorted(Customer.objects.values_list("name", flat=True)) == ["科技", "科技有限公司", "科技（集团）股份有限公司"]


def test_a_name_already_there_with_another_credit_code_is_refused(users, customer):
    run = imported(users["admin"], sheet([["科技有限公司", "", YUNZHAN]]))
    assert run.summary["errors"] == {
        "第2行 统一社会信用代码(C)": [f"系统中已有客户“科技有限公司”，统一社会信用代码为 {KEJI}，与本表不同"]}


def test_look_alike_names_share_a_key():
    assert name_key("北京 科技（集团）有限公司") == name_key("北京科技(集团)有限责任公司") == name_key("北京科技") == "北京科技"
    assert name_key("公司") == "公司"


@pytest.mark.parametrize("encoding", ["gb18030", "utf-8-sig"])
def test_a_csv_from_excel_in_gbk_or_utf8_with_bom_is_read(users, encoding):
    csv = ("客户名称,统一社会信用代码,联系人,联系方式,信用额度(元)\r\n"
           f"深圳海星电子,{HAIXING},钱*,13900003333,\"50,000\"\r\n").encode(encoding)
    run = imported(users["admin"], csv, filename="客户.csv")
    assert run.state == ImportRun.State.APPLIED
    customer = Customer.objects.get(name="深圳海星电子")
    assert (customer.uscc, customer.credit_limit, customer.contacts.get().phone) == (HAIXING, Decimal("50000.00"), "+8613900003333")


def test_the_template_imports_as_it_is(users):
    run = imported(users["admin"], import_template("customers"), filename="模板.xlsx")
    assert (run.state, counts(run)) == (ImportRun.State.APPLIED, (1, 0, 0))
    assert Customer.objects.get().contacts.count() == 2


def test_only_an_administrator_imports_customers(users):
    with pytest.raises(NotAllowed):
        import_preview(actor=users["sales_director"], kind="customers", content=sheet(CLEAN), filename="客户.xlsx")
    assert ImportRun.objects.count() == 0


def test_the_command_line_imports_customers_and_lists_every_problem(users, customer, tmp_path, capsys):
    path = tmp_path / "客户.xlsx"
    path.write_bytes(sheet([["科技", "", "", "", "王*", "13800002222"]]))
    call_command("import", "customers", str(path), "--dry-run")
    out = capsys.readouterr().out
    assert "请核对：疑似重复，请核对：第2行“科技”与系统中的客户“科技有限公司”名称相近" in out
    assert "检查通过（试运行，未写入）：将新建 1，更新 0，跳过 0" in out
    assert Customer.objects.count() == 1
    call_command("import", "customers", str(path))
    assert "已导入（admin）：新建 1，更新 0，跳过 0" in capsys.readouterr().out
    path.write_bytes(sheet([["科技", "", "91440300MA5FAAAA12", "", "王*", "138abc"]]))
    with pytest.raises(CommandError) as refused:
        call_command("import", "customers", str(path))
    assert "第2行 统一社会信用代码(C): 统一社会信用代码校验位不正确" in str(refused.value)
    assert "第2行 联系方式(F): 联系方式格式不正确：138abc" in str(refused.value)
    assert Customer.objects.count() == 2


def test_rows_reaching_one_customer_by_its_credit_code_and_by_its_name_must_agree_and_add_a_contact_once(users, customer):
    """科技有限公司 holds KEJI: the first row finds it by the code (under a new name), the second by its name."""
    rows = [["新名字公司", "", KEJI, "上海市浦东新区1号", "王*", "13800002222"],
            ["科技有限公司", "", "", "上海市徐汇区2号", "王*", "138 0000 2222"]]
    run = imported(users["admin"], sheet(rows))
    assert run.state == ImportRun.State.REFUSED
    assert run.summary["errors"] == {"第3行 地址(D)": ["与第2行同一客户的地址不一致"]}
    customer.refresh_from_db()
    assert customer.address == "北京市海淀区路1号"

    rows[1][3] = ""  # the second row leaves the address to the first
    run = imported(users["admin"], sheet(rows))
    assert (run.state, counts(run)) == (ImportRun.State.APPLIED, (0, 1, 0))
    assert run.summary["notes"] == [
        "第2行 “新名字公司”与系统中的客户“科技有限公司”统一社会信用代码相同：按同一客户更新，保留系统中的名称",
        "第3行“科技有限公司”与第2行“新名字公司”是系统中的同一客户“科技有限公司”，按同一客户更新"]
    customer.refresh_from_db()
    assert (customer.name, customer.address) == ("科技有限公司", "上海市浦东新区1号")
    assert [(c.name, c.phone) for c in customer.contacts.all()] == [("李*", "13800001111"), ("王*", "+8613800002222")]


def test_no_value_longer_than_its_field_reaches_the_database(users):
    email = "a" * 64 + "@" + ".".join(["b" * 63, "c" * 63, "d" * 63, "e" * 51]) + ".com"
    assert len(email) == 312  # a valid address (validate_email allows 320), longer than the field's 254
    fits = "qian@" + ".".join(["x" * 63, "y" * 63, "z" * 63, "w" * 53]) + ".com"
    rows = [["名" * 201, "C" * 31, "", "地" * 301, "人" * 51, "13800002222", email, "", "", "付" * 201],
            ["深圳海星电子", "", "", "", "钱*", "13900003333", fits]]  # 254: as long as may be
    run = imported(users["admin"], sheet(rows))
    assert run.state == ImportRun.State.REFUSED
    assert run.summary["errors"] == {
        "第2行 客户名称(A)": ["最多 200 个字"], "第2行 客户编码(B)": ["最多 30 个字"], "第2行 地址(D)": ["最多 300 个字"],
        "第2行 联系人(E)": ["最多 50 个字"], "第2行 邮箱(G)": ["最多 254 个字"], "第2行 付款方式(J)": ["最多 200 个字"]}
    assert Customer.objects.count() == 0


def test_the_preview_says_what_an_update_changes_so_a_new_account_manager_is_seen_before_confirming(users, customer):
    make_user("李四", "account_manager")
    run = import_preview(actor=users["admin"], kind="customers", filename="客户.xlsx", content=sheet(
        [["科技有限公司", "", KEJI, "上海市浦东新区1号", "周*", "13800005555", "", "", "李四"]]))
    assert run.summary["update_rows"] == [
        "第2行 科技有限公司：地址 北京市海淀区路1号 → 上海市浦东新区1号；客户经理 account_manager → 李四；新增联系人 周*"]
    customer.refresh_from_db()
    assert customer.owner == users["account_manager"]  # nothing written before the confirmation
