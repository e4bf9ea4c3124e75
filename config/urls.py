from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.http import HttpResponsePermanentRedirect
from django.templatetags.static import static
from django.urls import include, path

from reports import views as report_views


class SuperuserAdminSite(admin.AdminSite):
    """The Django admin is for superusers (support staff) only; staff flags do not open it."""

    def has_permission(self, request):
        return request.user.is_active and request.user.is_superuser


admin.site.__class__ = SuperuserAdminSite


def favicon(request):
    """Pages without the base template's icon link (admin, API docs) still ask for /favicon.ico."""
    return HttpResponsePermanentRedirect(static("favicon.svg"))


urlpatterns = [
    path("api/", include("api.urls")),  # first: the API's hot path resolves without walking the UI's routes
    path("", report_views.home, name="home"),
    path("ingresar/", auth_views.LoginView.as_view(template_name="registration/login.html"), name="login"),
    path("salir/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("provinces.twofactor_urls")),
    path("", include("provinces.access_urls")),
    path("", include("provinces.urls")),
    path("", include("enrollment.urls")),
    path("", include("training.urls")),
    path("", include("reports.urls")),
    path("", include("payments.urls")),
    path("", include("claims.urls")),
    path("", include("notifications.urls")),
    path("", include("selfservice.urls")),
    path("", include("api.web_urls")),
    path("control/", include("enrollment.screening.urls")),
    path("admin/", admin.site.urls),
    path("favicon.ico", favicon),
]
# MEDIA_ROOT (uploaded lists, reports, bank files: CUILs and CBUs) is never served by a URL
# pattern, not even under DEBUG: every download is a view that checks the user's scope.
