from django.urls import path

from provinces import twofactor_views as views

app_name = "twofactor"

urlpatterns = [
    path("dos-pasos/activar/", views.enrol, name="enrol"),
    path("dos-pasos/verificar/", views.verify, name="verify"),
]
