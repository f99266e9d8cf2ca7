"""Customers from the company's customer list, with their contacts. A customer is recognised by its 统一社会信用代码
first, then by its exact name — against orderloop and within the file; several rows of one customer each add a
contact. Names that differ only by their legal form (科技 / 科技有限公司), spaces or bracket styles are look-alikes:
with the same credit code they are one customer, otherwise they are only flagged (``Preview.notes``), never merged.
An existing customer is updated where the sheet says otherwise (a blank cell leaves its value), skipped where it
says the same; a contact already there (same name and phone) is not added twice. Rows that reach one customer of
orderloop by different keys (its credit code on one, its name on another) are that customer once: their values must
agree and their contacts are added once. Every value is checked against the length of the field it fills."""
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from orderloop.accounts.models import User
from orderloop.accounts.permissions import CUSTOMER_OWNERS
from orderloop.core.audit import audit_entry, diff, snapshot
from orderloop.core.models import AuditEntry
from orderloop.core.phones import phone_e164
from orderloop.core.pinyin import pinyin_initials
from orderloop.golive.tables import Preview, cell_decimal, template_workbook
from orderloop.masterdata.models import Contact, Customer
from orderloop.masterdata.uscc import uscc_problem

NAME, CODE, USCC, ADDRESS = "客户名称", "客户编码", "统一社会信用代码", "地址"
PERSON, PHONE, EMAIL = "联系人", "联系方式", "邮箱"
CREDIT, OWNER, TERMS = "信用额度(元)", "客户经理", "付款方式"
COLUMNS = [NAME, CODE, USCC, ADDRESS, PERSON, PHONE, EMAIL, CREDIT, OWNER, TERMS]
REQUIRED = [NAME]


def _longest(model, name: str) -> int:
    """The most characters the model's field holds (PostgreSQL refuses more; SQLite would keep them)."""
    return model._meta.get_field(name).max_length


# the customer's own columns (a contact's are 联系人, 联系方式, 邮箱), with the field each fills and its length
CUSTOMER_COLUMNS = {CODE: ("code", _longest(Customer, "code")), USCC: ("uscc", _longest(Customer, "uscc")),
                    ADDRESS: ("address", _longest(Customer, "address")), CREDIT: ("credit_limit", None),
                    OWNER: ("owner", None), TERMS: ("payment_terms", _longest(Customer, "payment_terms"))}
NAME_LONGEST = _longest(Customer, "name")
PERSON_LONGEST, PHONE_LONGEST, EMAIL_LONGEST = (_longest(Contact, "name"), _longest(Contact, "phone"),
                                                _longest(Contact, "email"))
FIELDS = ("name", "code", "uscc", "address", "credit_limit", "owner", "payment_terms")
PLACES = Decimal("0.01")
# the legal forms taken off a name to find look-alikes, longest first; repeated (XX集团有限公司 → XX)
LEGAL_FORMS = ("股份有限公司", "有限责任公司", "集团有限公司", "集团股份公司", "有限公司", "股份公司", "集团公司", "公司", "集团",
               "有限")
NOT_IN_A_KEY = re.compile(r"[\s()\[\]{}（）【】〔〕［］｛｝<>《》〈〉「」『』·・.,，。、_\-—]")


def name_key(name: str) -> str:
    """What two names of one company have in common: full-width forms folded, spaces, brackets and the legal-form
    suffixes taken off — 北京 科技（集团）有限公司, 北京科技(集团)有限公司 and 北京科技 share 北京科技."""
    key = NOT_IN_A_KEY.sub("", unicodedata.normalize("NFKC", name or "")).lower()
    while True:
        suffix = next((form for form in LEGAL_FORMS if key.endswith(form) and len(key) > len(form)), None)
        if suffix is None:
            return key
        key = key[:-len(suffix)]


def template() -> bytes:
    return template_workbook(
        title=_("客户"), columns=COLUMNS,
        examples=[["北京云栈科技有限公司", "C-0001", "91110108MA01A2B3CF", "北京市海淀区中关村大街1号", "王*", "13800001111",
                   "wang@example.com", 200000, "", "30%预付,余款到付"],
                  ["北京云栈科技有限公司", "", "91110108MA01A2B3CF", "", "赵*", "010-62345678", "", "", "", ""]],
        instructions=[
            (NAME, _("必填，最多 200 字。同一客户的多个联系人填多行：客户名称（或统一社会信用代码）相同，每行一个联系人；客户信息填在第一行即可。")),
            (CODE, _("选填，贵司内部的客户编号，最多 30 字。")),
            (USCC, _("选填但建议填写：18 位，校验位须正确。识别客户时先按统一社会信用代码、再按客户名称：系统中已有的客户按本表更新，没有的新建。"
                     "名称只差“有限公司”等后缀的客户：信用代码相同视为同一客户（保留系统中的名称），信用代码不同或缺少时列为疑似重复请核对，不会自动合并。")),
            (ADDRESS, _("选填，最多 300 字。")),
            (PERSON, _("填写联系方式或邮箱时必填，最多 50 字；新客户的第一个联系人为主要联系人；姓名和联系方式都相同的联系人不会重复添加。")),
            (PHONE, _("选填，手机或座机（如 13800001111、010-62345678）。")),
            (EMAIL, _("选填，须为有效的邮箱地址。")),
            (CREDIT, _("选填，不小于 0，最多两位小数；0 表示未设额度。")),
            (OWNER, _("选填，客户经理的用户名或姓名，须为系统中的客户经理。")),
            (TERMS, _("选填，录入订单时默认带出，如 30%预付,余款到付；最多 200 字。")),
            (_("空白单元格"), _("系统中已有的客户：留空的列保持系统中的值不变。")),
        ],
        text_columns=(CODE, USCC, PHONE), money_columns=(CREDIT,))


@dataclass
class Entry:
    """One customer of the file: its first row, the values its rows give, the contacts they add, and the customer
    of orderloop it is (None: a new one)."""

    number: int
    name: str
    values: dict = field(default_factory=dict)  # field -> value, from the first row giving it
    given_at: dict = field(default_factory=dict)  # field -> the row number giving it
    contacts: list = field(default_factory=list)  # [{"name", "phone", "email"}]
    customer: Customer | None = None


def _phone_key(phone: str) -> str:
    try:
        return phone_e164(phone) if phone else ""
    except ValueError:
        return phone


class _Owners:
    """The users a sheet may name as 客户经理, by username or by name, read once."""

    def __init__(self):
        self.users = list(User.objects.filter(is_active=True).prefetch_related("groups"))

    def find(self, text: str) -> tuple[User | None, str]:
        by_username = [u for u in self.users if u.username == text]
        found = by_username or [u for u in self.users if u.display_name == text]
        if not found:
            return None, _("用户不存在：%(name)s") % {"name": text}
        if len(found) > 1:
            return None, _("有多个用户名为 %(name)s，请填写用户名") % {"name": text}
        user = found[0]
        roles = {group.name for group in user.groups.all()}
        if not (roles & CUSTOMER_OWNERS):
            return None, _("%(name)s 不是客户经理，不能负责客户") % {"name": text}
        return user, ""


def _money(text_value, number, problems):
    try:
        value = cell_decimal(text_value)
    except ValueError:
        problems.add(number, CREDIT, _("请输入金额（数字）"))
        return None
    if value is None:
        return None
    if value < 0:
        problems.add(number, CREDIT, _("不能小于 0"))
    elif value != value.quantize(PLACES):
        problems.add(number, CREDIT, _("最多两位小数"))
    elif value >= Decimal("1e12"):
        problems.add(number, CREDIT, _("金额过大"))
    else:
        return value.quantize(PLACES)
    return None


def _read_row(table, row, number, problems, owners) -> tuple[str, dict, dict | None]:
    """The row's customer name, its customer values (only those given) and its contact (None: none)."""
    name = table.text(row, NAME)
    if not name:
        problems.add(number, NAME, _("必填"))
    elif len(name) > NAME_LONGEST:
        problems.add(number, NAME, _("最多 %(n)s 个字") % {"n": NAME_LONGEST})
    values = {}
    for header, (name_of_field, limit) in CUSTOMER_COLUMNS.items():
        text = table.text(row, header)
        if not text:
            continue
        if limit and len(text) > limit and header != USCC:
            problems.add(number, header, _("最多 %(n)s 个字") % {"n": limit})
        elif header == USCC:
            text = text.upper()
            problem = uscc_problem(text)
            if problem:
                problems.add(number, header, problem)
            else:
                values["uscc"] = text
        elif header == CREDIT:
            amount = _money(table.value(row, CREDIT), number, problems)
            if amount is not None:
                values["credit_limit"] = amount
        elif header == OWNER:
            user, problem = owners.find(text)
            if problem:
                problems.add(number, header, problem)
            else:
                values["owner"] = user
        else:
            values[name_of_field] = text
    person, phone, email = table.text(row, PERSON), table.text(row, PHONE), table.text(row, EMAIL)
    contact = None
    if person or phone or email:
        contact = {"name": person, "phone": "", "email": email}
        if not person:
            problems.add(number, PERSON, _("填写联系方式或邮箱时，联系人必填"))
        elif len(person) > PERSON_LONGEST:
            problems.add(number, PERSON, _("最多 %(n)s 个字") % {"n": PERSON_LONGEST})
        if phone:
            try:
                contact["phone"] = phone_e164(phone)
            except ValueError as exc:
                problems.add(number, PHONE, str(exc))
            else:
                if len(contact["phone"]) > PHONE_LONGEST:  # E.164 has at most 16; kept in case the field shrinks
                    problems.add(number, PHONE, _("最多 %(n)s 个字") % {"n": PHONE_LONGEST})
        if email:
            try:
                validate_email(email)  # allows 320 characters, the field 254
            except DjangoValidationError:
                problems.add(number, EMAIL, _("邮箱格式不正确"))
            else:
                if len(email) > EMAIL_LONGEST:
                    problems.add(number, EMAIL, _("最多 %(n)s 个字") % {"n": EMAIL_LONGEST})
    return name, values, contact


def _column_of(field_name: str) -> str:
    return next(header for header, (name, _limit) in CUSTOMER_COLUMNS.items() if name == field_name)


def _label(number: int, name: str) -> str:
    return f"{_('第%(row)s行') % {'row': number}} {name}"


def preview(actor, table, problems) -> Preview:
    owners = _Owners()
    existing = list(Customer.objects.select_related("owner"))
    by_uscc = {c.uscc.upper(): c for c in existing if c.uscc}
    by_name = {c.name: c for c in existing}
    by_key: dict[str, list[Customer]] = {}
    for customer in existing:
        by_key.setdefault(name_key(customer.name), []).append(customer)
    result = Preview(items=[])
    entries: list[Entry] = []
    file_uscc: dict[str, Entry] = {}
    file_name: dict[str, Entry] = {}
    for number, row in table.rows:
        name, values, contact = _read_row(table, row, number, problems, owners)
        if not name:
            continue
        uscc = values.get("uscc", "")
        entry = file_uscc.get(uscc) if uscc else None
        if entry is None:
            entry = file_name.get(name)
            if entry is not None and uscc and entry.values.get("uscc") and entry.values["uscc"] != uscc:
                problems.add(number, USCC, _("与第%(row)s行同名客户的统一社会信用代码不同：%(code)s") % {
                    "row": entry.number, "code": entry.values["uscc"]})
                continue
        elif entry.name != name:
            result.notes.append(_("第%(row)s行 客户名称“%(name)s”与第%(first)s行“%(first_name)s”的统一社会信用代码相同，"
                                  "按同一客户导入，名称用“%(first_name)s”") % {
                "row": number, "name": name, "first": entry.number, "first_name": entry.name})
        if entry is None:
            entry = Entry(number=number, name=name)
            entries.append(entry)
            file_name.setdefault(name, entry)
        for name_of_field, value in values.items():
            if name_of_field not in entry.values:
                entry.values[name_of_field], entry.given_at[name_of_field] = value, number
            elif entry.values[name_of_field] != value:
                header = _column_of(name_of_field)
                problems.add(number, header, _("与第%(row)s行同一客户的%(col)s不一致") % {
                    "row": entry.given_at[name_of_field], "col": header})
        if uscc:
            file_uscc.setdefault(uscc, entry)
        if contact and contact["name"]:
            entry.contacts.append(contact)
    contacts_there: dict[int, set] = {}
    for customer_id, person, phone in Contact.objects.values_list("customer_id", "name", "phone"):
        contacts_there.setdefault(customer_id, set()).add((person, _phone_key(phone)))
    file_keys: dict[str, list[Entry]] = {}
    first_of: dict[int, Entry] = {}  # customer pk -> the first entry reaching it
    planned: list[Entry] = []
    for entry in entries:
        uscc = entry.values.get("uscc", "")
        customer = by_uscc.get(uscc) if uscc else None
        if customer is not None and customer.name != entry.name:
            result.notes.append(_("第%(row)s行 “%(name)s”与系统中的客户“%(existing)s”统一社会信用代码相同：按同一客户更新，"
                                  "保留系统中的名称") % {"row": entry.number, "name": entry.name, "existing": customer.name})
        if customer is None:
            customer = by_name.get(entry.name)
            if customer is not None and uscc and customer.uscc and customer.uscc.upper() != uscc:
                problems.add(entry.given_at["uscc"], USCC, _("系统中已有客户“%(name)s”，统一社会信用代码为 %(code)s，与本表不同") % {
                    "name": customer.name, "code": customer.uscc})
                continue
        entry.customer = customer
        if customer is not None and customer.pk in first_of:
            _merge(first_of[customer.pk], entry, problems, result)
            continue
        if customer is not None:
            first_of[customer.pk] = entry
        key = name_key(entry.name)
        if customer is None:
            for other in by_key.get(key, []):
                result.notes.append(_look_alike(entry, uscc, other.name, other.uscc.upper(), _("系统中的客户")))
        for other in file_keys.get(key, []):
            result.notes.append(_look_alike(entry, uscc, other.name, other.values.get("uscc", ""),
                                            _("第%(row)s行的客户") % {"row": other.number}))
        file_keys.setdefault(key, []).append(entry)
        planned.append(entry)
    for entry in planned:
        _plan(entry, contacts_there.get(entry.customer.pk, set()) if entry.customer else set(), result)
    return result


def _merge(first: Entry, entry: Entry, problems, result: Preview) -> None:
    """A later entry of the file reaching the customer an earlier one reached by another key: one customer, whose
    values the two must agree on, and whose contacts are gathered (and then added once, by ``_plan``)."""
    result.notes.append(_("第%(row)s行“%(name)s”与第%(first)s行“%(first_name)s”是系统中的同一客户“%(existing)s”，"
                          "按同一客户更新") % {"row": entry.number, "name": entry.name, "first": first.number,
                                           "first_name": first.name, "existing": entry.customer.name})
    for name_of_field, value in entry.values.items():
        if name_of_field not in first.values:
            first.values[name_of_field], first.given_at[name_of_field] = value, entry.given_at[name_of_field]
        elif first.values[name_of_field] != value:
            header = _column_of(name_of_field)
            problems.add(entry.given_at[name_of_field], header, _("与第%(row)s行同一客户的%(col)s不一致") % {
                "row": first.given_at[name_of_field], "col": header})
    first.contacts.extend(entry.contacts)


def _look_alike(entry: Entry, uscc: str, other_name: str, other_uscc: str, where: str) -> str:
    if uscc and other_uscc:
        why = _("统一社会信用代码不同，按两个客户处理")
    else:
        why = _("缺少统一社会信用代码，无法确认是否同一客户，按两个客户处理")
    return _("疑似重复，请核对：第%(row)s行“%(name)s”与%(where)s“%(other)s”名称相近；%(why)s") % {
        "row": entry.number, "name": entry.name, "where": where, "other": other_name, "why": why}


def _differs(customer: Customer, name: str, value) -> bool:
    if name == "owner":
        return customer.owner_id != value.pk
    if name == "uscc":
        return customer.uscc.upper() != value
    return getattr(customer, name) != value


def _shown(customer: Customer, name: str, value=None) -> str:
    """A value as the preview shows it: the customer's own (``value`` None) or the sheet's."""
    if value is None:
        value = customer.owner if name == "owner" else getattr(customer, name)
    if value is None or value == "":
        return _("（空）")
    return str(value)  # a user is shown by their name


def _plan(entry: Entry, there: set, result: Preview) -> None:
    """Whether the entry creates, updates or skips, and the contacts it adds."""
    seen = set(there)
    new_contacts = []
    for contact in entry.contacts:
        key = (contact["name"], contact["phone"])
        if key not in seen:
            seen.add(key)
            new_contacts.append(contact)
    if new_contacts and not there:
        new_contacts[0]["is_primary"] = True
    customer = entry.customer
    label = _label(entry.number, customer.name if customer else entry.name)
    if customer is None:
        result.create.append(label)
    else:
        changes = {f: v for f, v in entry.values.items() if _differs(customer, f, v)}
        entry.values = changes
        if not changes and not new_contacts:
            result.skip.append(label)
            return
        said = [f"{_column_of(f)} {_shown(customer, f)} → {_shown(customer, f, v)}" for f, v in changes.items()]
        if new_contacts:
            said.append(_("新增联系人 %(names)s") % {"names": "、".join(c["name"] for c in new_contacts)})
        result.update.append(f"{label}：{'；'.join(said)}")
    result.items.append((entry, new_contacts))


def write(actor, preview: Preview, run) -> None:
    new, changed, contacts, audits = [], [], [], []
    for entry, new_contacts in preview.items:
        customer = entry.customer
        if customer is None:
            customer = Customer(name=entry.name, initials=pinyin_initials(entry.name), **entry.values)
            new.append(customer)
        else:
            before = snapshot(customer, FIELDS)
            for name, value in entry.values.items():
                setattr(customer, name, value)
            changes = diff(before, snapshot(customer, FIELDS))
            if entry.values:
                changed.append(customer)
            if new_contacts:
                changes["contacts"] = [None, "、".join(c["name"] for c in new_contacts)]
            audits.append(audit_entry(actor=actor, obj=customer, operation="imported", changes=changes))
        contacts.extend((customer, contact) for contact in new_contacts)
    Customer.objects.bulk_create(new, batch_size=500)
    if changed:
        Customer.objects.bulk_update(changed, [f for f in FIELDS if f != "name"], batch_size=500)
    Contact.objects.bulk_create([Contact(customer=customer, name=c["name"], phone=c["phone"], email=c["email"],
                                         is_primary=c.get("is_primary", False)) for customer, c in contacts],
                                batch_size=500)
    audits.extend(audit_entry(actor=actor, obj=customer, operation="imported", changes=diff({}, snapshot(customer, FIELDS)))
                  for customer in new)
    AuditEntry.objects.bulk_create(audits, batch_size=500)
