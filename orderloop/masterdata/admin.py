from django.contrib import admin

from orderloop.masterdata.models import Contact, Customer, Product, StockAdjustment, StockLevel
from orderloop.masterdata.services import customer_admin_save, customer_owner_candidates, stock_adjust


class ContactInline(admin.TabularInline):
    model = Contact
    extra = 1


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ("name", "uscc", "qualification", "credit_limit", "owner")
    list_filter = ("qualification",)
    search_fields = ("name", "uscc")
    inlines = [ContactInline]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "owner":  # only an account manager owns customers
            kwargs["queryset"] = customer_owner_candidates()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        customer_admin_save(actor=request.user, customer=obj)


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ("name", "model", "unit", "list_price", "cost_price", "is_active")
    search_fields = ("name", "model")


@admin.register(StockLevel)
class StockLevelAdmin(admin.ModelAdmin):
    list_display = ("product", "warehouse", "on_hand", "reserved", "available")
    readonly_fields = ("product", "warehouse", "on_hand", "reserved")

    def has_add_permission(self, request):
        return False  # levels change only through adjustments, with a reason


@admin.register(StockAdjustment)
class StockAdjustmentAdmin(admin.ModelAdmin):
    """Adding an adjustment changes the level; adjustments themselves are never edited."""

    list_display = ("at", "stock", "on_hand_change", "reserved_change", "reason", "actor")
    fields = ("product", "warehouse", "on_hand_change", "reserved_change", "reason")

    def get_form(self, request, obj=None, **kwargs):
        from django import forms

        class AdjustmentForm(forms.ModelForm):
            product = forms.ModelChoiceField(Product.objects.all(), label="产品")
            warehouse = forms.CharField(label="仓库", initial="主仓库")

            class Meta:
                model = StockAdjustment
                fields = ("on_hand_change", "reserved_change", "reason")

        kwargs["form"] = AdjustmentForm
        return super().get_form(request, obj, **kwargs)

    def save_model(self, request, obj, form, change):
        stock = stock_adjust(actor=request.user, product_id=form.cleaned_data["product"].pk,
                             warehouse=form.cleaned_data["warehouse"], on_hand_change=obj.on_hand_change,
                             reserved_change=obj.reserved_change, reason=obj.reason)
        obj.pk = stock.adjustments.first().pk

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
