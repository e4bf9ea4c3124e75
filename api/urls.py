from csp.constants import SELF, UNSAFE_INLINE
from csp.decorators import csp_update
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView
from rest_framework.routers import SimpleRouter

from api import bank_accounts, claims, identity, oversight, suspension_proposals, transitions, views
from api.exceptions import not_found_view

app_name = "api"

router = SimpleRouter()
router.register("workers", views.WorkerViewSet, basename="worker")
router.register("enrollments", views.EnrollmentViewSet, basename="enrollment")
router.register("providers", views.ProviderViewSet, basename="provider")
router.register("employment-offices", views.EmploymentOfficeViewSet, basename="employmentoffice")
router.register("courses", views.CourseViewSet, basename="course")
router.register("referrals", views.ReferralViewSet, basename="referral")
router.register("access-log", views.StatusLookupViewSet, basename="statuslookup")
router.register("tokens", views.ApiTokenViewSet, basename="token")
router.register("claims", claims.ClaimViewSet, basename="claim")
router.register("cbu-changes", bank_accounts.CbuChangeViewSet, basename="cbuchange")
router.register("identity-reviews", identity.IdentityReviewViewSet, basename="identityreview")
router.register("suspension-proposals", suspension_proposals.SuspensionProposalViewSet, basename="suspensionproposal")
for prefix, viewset, basename in oversight.ROUTES:  # screening flags, payment batches
    router.register(prefix, viewset, basename=basename)

urlpatterns = [
    path("v1/schema/", SpectacularAPIView.as_view(), name="schema"),
    # Swagger UI's start-up script is a file of its own (?script), so the page needs no inline script.
    path("v1/docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="swagger"),
    # Redoc writes its styles inline and searches in a blob: worker: this page alone allows both.
    path(
        "v1/redoc/",
        csp_update({"style-src": [UNSAFE_INLINE], "worker-src": [SELF, "blob:"]})(
            SpectacularRedocView.as_view(url_name="api:schema")
        ),
        name="redoc",
    ),
    path("v1/status/<str:cuil>/", views.BeneficiaryStatusView.as_view(), name="status"),
    path("v1/workers/<int:pk>/cbu-change/", bank_accounts.WorkerCbuChangeView.as_view(), name="worker-cbu-change"),
    path("v1/enrollments/<int:pk>/suspend/", transitions.SuspendView.as_view(), name="enrollment-suspend"),
    path("v1/enrollments/<int:pk>/reinstate/", transitions.ReinstateView.as_view(), name="enrollment-reinstate"),
    path("v1/enrollments/<int:pk>/withdraw/", transitions.WithdrawView.as_view(), name="enrollment-withdraw"),
    path("v1/", include(router.urls)),
    # Anything else under the API answers 404 in the API's error shape, not as an HTML page.
    re_path(r"^v1/", not_found_view),
]
