from pghistory.middleware import HistoryMiddleware


class AuditContextMiddleware(HistoryMiddleware):
    """Adds where a change came from (address and method) to the audit context."""

    def get_context(self, request):
        from rest_framework.throttling import BaseThrottle

        context = super().get_context(request)
        # The client address as the API throttle sees it: X-Forwarded-For is believed only
        # through the API_NUM_PROXIES reverse proxies we run, so a client cannot forge it.
        context["ip"] = BaseThrottle().get_ident(request)
        context["method"] = request.method
        return context


class LanguageMiddleware:
    """Spanish (es-AR) unless the user chose another language with the selector.

    Django's LocaleMiddleware would follow the browser's Accept-Language, so an officer with an
    English browser would get English screens; here the web UI follows only the user's explicit
    choice (the language cookie). API clients may still ask for English with Accept-Language.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from django.conf import settings
        from django.utils import translation
        from django.utils.cache import patch_vary_headers

        language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if not language and request.path.startswith("/api/"):
            language = translation.get_language_from_request(request)
        supported = {code for code, _name in settings.LANGUAGES}
        if language not in supported:
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        patch_vary_headers(response, ("Cookie", "Accept-Language"))
        response.headers.setdefault("Content-Language", language)
        return response
