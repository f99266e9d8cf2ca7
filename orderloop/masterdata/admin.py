from django.contrib import admin
from django.utils.translation import gettext_lazy

from orderloop.core.admin import AuditedAdmin, ReadOnlyAdmin
from orderloop.core.audit import audit_record, diff, snapshot
from orderloop.masterdata.models import Contact, Customer, Product, StockAdjustment, StockLevel, StockReservation
from orderloop.masterdata.services import customer_admin_save, customer_owner_candidates, stock_adjust


class ContactInline(admin.TabularInline):
    model = Contact
    extra = 1


@admin.register(Customer)
class CustomerAdmin(AuditedAdmin, admin.ModelAdmin):
    """The customer through customer_admin_save (audited there); its contacts and its deletion audited here."""

    list_display = ("name", "uscc", "qualification", "credit_limit", "owner")
    list_filter = ("qualification",)
    search_fields = ("name", "uscc")
    inlines = [ContactInline]
    # who submitted and decided the qualification: written by the customer's page (masterdata.qualification)
    readonly_fields = ("qualification_submitted_at", "qualification_submitted_by", "qualification_decided_at",
                       "qualification_decided_by")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "owner":  # only an account manager owns customers
            kwargs["queryset"] = customer_owner_candidates()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        customer_admin_save(actor=request.user, customer=obj)


@admin.register(Product)
class ProductAdmin(AuditedAdmin, admin.ModelAdmin):
    list_display = ("name", "model", "unit", "list_price", "cost_price", "is_active")
    search_fields = ("name", "model")


@admin.register(StockLevel)
class StockLevelAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ("product", "warehouse", "on_hand", "reserved", "available")
    readonly_page = ("admin:masterdata_stockadjustment_add", (), gettext_lazy("“库存调整”"))
    readonly_reason = gettext_lazy("库存只通过调整变动，每次调整都记下原因。")


@admin.register(StockReservation)
class StockReservationAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ("stock", "order_line", "quantity", "reserved_at")
    list_select_related = ("stock__product", "order_line")
    readonly_reason = gettext_lazy("订单确认现货时预留，取消、短交关闭或变更数量时释放，发货时出库。")


LEVEL_FIELDS = ("on_hand", "reserved")


@admin.register(StockAdjustment)
class StockAdjustmentAdmin(AuditedAdmin, admin.ModelAdmin):
    """Adding an adjustment changes the level (audited: on hand and reserved, old → new, and the reason);
    adjustments themselves are never edited."""

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
        product, warehouse = form.cleaned_data["product"], form.cleaned_data["warehouse"]
        level = StockLevel.objects.filter(product=product, warehouse=warehouse).first()
        before = snapshot(level, LEVEL_FIELDS) if level else {}
        stock = stock_adjust(actor=request.user, product_id=product.pk, warehouse=warehouse,
                             on_hand_change=obj.on_hand_change, reserved_change=obj.reserved_change, reason=obj.reason)
        obj.pk = stock.adjustments.first().pk
        audit_record(actor=request.user, obj=stock, operation="updated" if level else "created",
                     changes={**diff(before, snapshot(stock, LEVEL_FIELDS)), "reason": obj.reason.strip()})

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
