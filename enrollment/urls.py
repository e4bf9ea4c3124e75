from django.urls import path

from enrollment import bank_account_views, identity_views, suspension_views, views

app_name = "enrollment"

urlpatterns = [
    path("trabajadores/", views.worker_list, name="worker_list"),
    path("trabajadores/<int:pk>/", views.worker_detail, name="worker_detail"),
    path("trabajadores/<int:pk>/cambiar-cbu/", bank_account_views.request_change, name="cbu_change_request"),
    path("cambios-de-cbu/", bank_account_views.queue, name="cbu_changes"),
    path("cambios-de-cbu/<int:pk>/", bank_account_views.detail, name="cbu_change_detail"),
    path("cambios-de-cbu/cbu-compartido/", bank_account_views.resolve_shared, name="shared_cbu_resolve"),
    path("inscripciones/", views.enrollment_list, name="enrollment_list"),
    path("inscribir/", views.register, name="register"),
    path("inscribir/revisar-dato/", views.register_check, name="register_check"),
    path("inscripciones/<int:pk>/", views.enrollment_detail, name="enrollment_detail"),
    path("inscripciones/<int:pk>/decidir/", views.decide, name="decide"),
    path("inscripciones/<int:pk>/suspender/", suspension_views.suspend, name="suspend"),
    path("inscripciones/<int:pk>/rehabilitar/", suspension_views.reinstate, name="reinstate"),
    path("inscripciones/<int:pk>/dar-de-baja/", suspension_views.withdraw, name="withdraw"),
    path("revision/", views.review_queue, name="review_queue"),
    path("revision/suspensiones/", suspension_views.proposal_list, name="suspension_proposals"),
    path("revision/identidad/", identity_views.identity_review_list, name="identity_review_list"),
    path("revision/identidad/<int:pk>/", identity_views.identity_review_detail, name="identity_review_detail"),
    path("revision/identidad/<int:pk>/decidir/", identity_views.identity_review_decide, name="identity_review_decide"),
    path("padrones/", views.import_list, name="import_list"),
    path("padrones/subir/", views.import_upload, name="import_upload"),
    path("padrones/<int:pk>/", views.import_detail, name="import_detail"),
    path("padrones/<int:pk>/progreso/", views.import_progress, name="import_progress"),
    path("padrones/<int:pk>/confirmar/", views.import_confirm, name="import_confirm"),
    path("padrones/<int:pk>/descartar/", views.import_cancel, name="import_cancel"),
    path("padrones/<int:pk>/reanudar/", views.import_resume, name="import_resume"),
    path("padrones/<int:pk>/errores.csv", views.import_errors_csv, name="import_errors_csv"),
]
