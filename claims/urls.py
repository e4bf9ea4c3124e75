from django.urls import path

from claims import views

app_name = "claims"

urlpatterns = [
    path("reclamos/", views.claim_list, name="list"),
    path("reclamos/<int:pk>/", views.claim_detail, name="detail"),
    path("reclamos/<int:pk>/<str:action>/", views.claim_act, name="act"),
    path("trabajadores/<int:worker_pk>/reclamo/", views.claim_file, name="file"),
]
