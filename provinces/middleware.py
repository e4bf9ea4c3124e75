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


class TwoFactorMiddleware:
    """People holding a ministry role verify a second factor before any other page.

    After ``OTPMiddleware``: a signed-in person with a ministry role whose session has not
    verified a code is sent to enrol (no confirmed authenticator yet) or to verify, and comes
    back to the page asked for. Anyone else who enrolled voluntarily verifies too: an enrolled
    authenticator that a stolen password could skip would protect nothing. Signing in and out,
    the language selector, the two-factor pages themselves and the set-password link stay
    reachable. The API answers 403 in its error shape to such a session; token requests carry no
    session and are not affected.
    """

    OPEN_PREFIXES = ("/ingresar/", "/salir/", "/i18n/", "/dos-pasos/", "/acceso/clave/", "/static/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from django.http import JsonResponse
        from django.shortcuts import redirect
        from django.urls import reverse
        from django.utils.http import urlencode
        from django.utils.translation import gettext as _

        from provinces.twofactor import confirmed_device, is_verified, needs_two_factor

        user = getattr(request, "user", None)
        if (
            user is None
            or not user.is_authenticated
            or request.path.startswith(self.OPEN_PREFIXES)
            or is_verified(user)
        ):
            return self.get_response(request)
        device = confirmed_device(user)
        if device is None and not needs_two_factor(user):
            return self.get_response(request)
        if request.path.startswith("/api/v1/"):
            # The API's error shape (api.errors), written here: provinces never imports api.
            message = _("Esta cuenta requiere verificación en dos pasos: verifíquela en la web antes de usar la API.")
            body = {"status": 403, "code": "two_factor_required", "message": message, "fields": {}}
            return JsonResponse(body, status=403)
        target = "twofactor:verify" if device is not None else "twofactor:enrol"
        return redirect(f"{reverse(target)}?{urlencode({'next': request.get_full_path()})}")
