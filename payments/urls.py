from django.urls import path

from payments import views

app_name = "payments"

urlpatterns = [
    path("pagos/lotes/", views.batch_list, name="batch_list"),
    path("pagos/lotes/<int:pk>/", views.batch_detail, name="batch_detail"),
    path("pagos/lotes/<int:pk>/progreso/", views.batch_progress, name="batch_progress"),
    path("pagos/lotes/<int:pk>/archivos/", views.bank_files, name="bank_files"),
    path("pagos/lotes/<int:pk>/aprobar/", views.batch_approve, name="batch_approve"),
    path("pagos/lotes/<int:pk>/exportar/<str:fmt>/", views.batch_export, name="batch_export"),
    path("pagos/lotes/<int:pk>/conciliar/", views.batch_reconcile, name="batch_reconcile"),
    path("pagos/archivos/<int:pk>/", views.bank_file_download, name="bank_file_download"),
    path("pagos/cuotas/", views.installment_list, name="installment_list"),
    path("pagos/cuotas/<int:pk>/liberar/", views.installment_release, name="installment_release"),
    path("pagos/cuotas/<int:pk>/reemitir/", views.installment_reissue, name="installment_reissue"),
    path("pagos/cuotas/<int:pk>/reemitir-orden/", views.installment_reissue_order, name="installment_reissue_order"),
    path("pagos/trabajadores/<int:pk>/", views.worker_payments, name="worker_payments"),
    path("pagos/totales/", views.monthly_totals, name="monthly_totals"),
    path("pagos/montos/", views.rate_list, name="rate_list"),
    path("pagos/montos/<int:pk>/aplicar/", views.rate_apply, name="rate_apply"),
    path("pagos/montos/<int:pk>/aprobar/", views.rate_approve, name="rate_approve"),
    path("pagos/montos/<int:pk>/rechazar/", views.rate_reject, name="rate_reject"),
]
