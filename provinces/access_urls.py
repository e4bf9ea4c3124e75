from django.urls import path

from provinces import access_views as views

app_name = "access"

urlpatterns = [
    path("accesos/", views.home, name="home"),
    path("accesos/nueva-cuenta/", views.account_create, name="account_create"),
    path("accesos/personas/<int:pk>/", views.person, name="person"),
    path("accesos/personas/<int:pk>/otorgar/", views.person_grant, name="person_grant"),
    path("accesos/personas/<int:pk>/reiniciar-dos-pasos/", views.two_factor_reset, name="two_factor_reset"),
    path("accesos/personas/<int:pk>/nuevo-enlace/", views.link_reissue, name="link_reissue"),
    path("accesos/pedidos/<int:pk>/aprobar/", views.grant_approve, name="grant_approve"),
    path("accesos/pedidos/<int:pk>/rechazar/", views.grant_refuse, name="grant_refuse"),
    path("accesos/roles/<int:pk>/quitar/", views.membership_revoke, name="membership_revoke"),
    path("acceso/clave/<str:uidb64>/<str:token>/", views.set_password, name="set_password"),
]
