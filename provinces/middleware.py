from pghistory.middleware import HistoryMiddleware


class AuditContextMiddleware(HistoryMiddleware):
    """Adds where a change came from (address and method) to the audit context."""

    def get_context(self, request):
        context = super().get_context(request)
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        context["ip"] = forwarded.split(",")[0].strip() or request.META.get("REMOTE_ADDR")
        context["method"] = request.method
        return context
