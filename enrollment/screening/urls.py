from django.urls import path

from enrollment.screening import entitlement_views, views

app_name = "screening"

urlpatterns = [
    path("alertas/", views.flag_list, name="flag_list"),
    path("alertas/<int:pk>/", views.flag_detail, name="flag_detail"),
    path("padrones/", views.registry_list, name="registry_list"),
    path("padrones/<int:pk>/", views.registry_detail, name="registry_detail"),
    path("corridas/", views.run_list, name="run_list"),
    path("corridas/<int:pk>/", views.run_detail, name="run_detail"),
    path("meses-de-ayuda/", entitlement_views.rule_set_list, name="entitlement_list"),
    path("meses-de-ayuda/nueva/", entitlement_views.propose, name="entitlement_propose"),
    path("meses-de-ayuda/<int:pk>/", entitlement_views.rule_set_detail, name="entitlement_detail"),
]
