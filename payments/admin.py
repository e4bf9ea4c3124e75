from django.contrib import admin

from payments.models import Rate


@admin.register(Rate)
class RateAdmin(admin.ModelAdmin):
    """Support staff keep the resolutions' table (audited); new amounts reach installments
    through ``payments.rates.apply_retroactive_rate`` or when they are scheduled."""

    list_display = ["effective_month", "amount", "resolution", "published_on", "notes"]
    ordering = ["-effective_month"]
