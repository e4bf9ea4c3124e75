from django.urls import path

from api import web

app_name = "api_web"

urlpatterns = [
    path("api-tokens/", web.tokens, name="tokens"),
    path("api-tokens/<int:pk>/revocar/", web.revoke, name="revoke"),
    path("consultas-api/", web.access_log, name="access_log"),
]
