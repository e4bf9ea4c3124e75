from django.contrib import admin

from payments.models import Rate


@admin.register(Rate)
class RateAdmin(admin.ModelAdmin):
    """Support staff may correct a resolution's number, publication date and notes (audited).
    Amounts, months and decisions are not edited here: a new amount is proposed and approved by
    two payments officers on the rates page (``payments.rates``), which also applies it."""

    list_display = ["effective_month", "amount", "resolution", "status", "proposed_by", "decided_by", "notes"]
    list_filter = ["status"]
    ordering = ["-effective_month"]
    readonly_fields = [
        "amount",
        "effective_month",
        "status",
        "proposed_by",
        "proposed_at",
        "decided_by",
        "decided_at",
        "decision_reason",
    ]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
