from django.urls import path

from enrollment import views

app_name = "enrollment"

urlpatterns = [
    path("trabajadores/", views.worker_list, name="worker_list"),
    path("trabajadores/<int:pk>/", views.worker_detail, name="worker_detail"),
    path("inscripciones/", views.enrollment_list, name="enrollment_list"),
]
