from django.contrib import admin

from orderloop.masterdata.models import Contact, Customer, Product


class ContactInline(admin.TabularInline):
    model = Contact
    extra = 1


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ("name", "uscc", "qualification", "credit_limit", "owner")
    list_filter = ("qualification",)
    search_fields = ("name", "uscc")
    inlines = [ContactInline]


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ("name", "model", "unit", "list_price", "cost_price", "is_active")
    search_fields = ("name", "model")
