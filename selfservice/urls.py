from django.urls import path

from selfservice import views

app_name = "selfservice"

urlpatterns = [
    path("consulta/", views.lookup, name="lookup"),
    path("consulta/reclamo/", views.claim, name="claim"),
]
