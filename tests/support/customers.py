"""Customers for tests: qualified, with a valid credit code, a business licence on file, its expiry and a credit
record, unless a test asks otherwise. Only the qualification tests make customers that are 待审核 or 不合格."""
from datetime import date

from django.core.files.base import ContentFile

from orderloop.masterdata.models import Contact, Customer, Qualification
from orderloop.setup.demo import LICENCE_SCAN


def make_customer(name="科技有限公司", *, owner, uscc="91310115MA1FL5C15C", qualification=Qualification.QUALIFIED,
                  licence=True, contact=("李*", "13800001111", "buyer@example.com"), **fields) -> Customer:
    fields = {"address": "北京市海淀区路1号", "licence_expiry": date(2099, 12, 31), "credit_record": "信用良好", **fields}
    customer = Customer.objects.create(name=name, uscc=uscc, owner=owner, qualification=qualification, **fields)
    if licence:
        customer.business_licence.save("licence.png", ContentFile(LICENCE_SCAN), save=True)
    if contact:
        person, phone, email = contact
        Contact.objects.create(customer=customer, name=person, phone=phone, is_primary=True, email=email)
    return customer
