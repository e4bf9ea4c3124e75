from django.urls import path

from provinces import views

app_name = "provinces"

urlpatterns = [
    path("convenios/", views.agreement_list, name="agreement_list"),
    path("convenios/nuevo/", views.agreement_edit, name="agreement_create"),
    path("convenios/<int:pk>/", views.agreement_detail, name="agreement_detail"),
    path("convenios/<int:pk>/editar/", views.agreement_edit, name="agreement_edit"),
    path("periodos/", views.cycle_list, name="cycle_list"),
    path("periodos/nuevo/", views.cycle_edit, name="cycle_create"),
    path("periodos/<int:pk>/editar/", views.cycle_edit, name="cycle_edit"),
    path("organizaciones/", views.organisation_list, name="organisation_list"),
    path("organizaciones/nueva/", views.organisation_edit, name="organisation_create"),
    path("organizaciones/<int:pk>/", views.organisation_detail, name="organisation_detail"),
    path("organizaciones/<int:pk>/editar/", views.organisation_edit, name="organisation_edit"),
    path("auditoria/", views.audit_log, name="audit_log"),
    path("auditoria/<str:model_key>/<int:pk>/", views.record_history, name="record_history"),
]
