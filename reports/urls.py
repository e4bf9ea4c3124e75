from django.urls import path

from reports import views

app_name = "reports"

urlpatterns = [
    path("tablero/", views.dashboard_view, name="dashboard"),
    path("buscar/", views.search, name="search"),
    path("trabajadores/<int:pk>/legajo/", views.worker_page, name="worker"),
    path("informes/", views.report_list, name="report_list"),
    path("informes/<slug:kind>/generar/", views.report_create, name="report_create"),
    path("informes/pedidos/<int:pk>/", views.job_detail, name="job_detail"),
    path("informes/pedidos/<int:pk>/descargar/", views.job_download, name="job_download"),
]
