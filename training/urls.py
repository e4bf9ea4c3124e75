from django.urls import path

from training import views

app_name = "training"

urlpatterns = [
    path("capacitacion/cursos/", views.course_list, name="course_list"),
    path("capacitacion/cursos/nuevo/", views.course_edit, name="course_create"),
    path("capacitacion/cursos/<int:pk>/", views.course_detail, name="course_detail"),
    path("capacitacion/cursos/<int:pk>/editar/", views.course_edit, name="course_edit"),
    path("capacitacion/cursos/<int:pk>/asistencia/", views.attendance_upload, name="attendance_upload"),
    path("capacitacion/trabajadores/<int:worker_pk>/", views.worker_referrals, name="worker_referrals"),
    path("capacitacion/derivaciones/", views.referral_list, name="referral_list"),
    path("capacitacion/derivaciones/<int:pk>/estado/", views.referral_move, name="referral_move"),
    path("capacitacion/resumen/", views.referral_report, name="report"),
    path("capacitacion/directorio/", views.provider_list, name="directory"),
    path("capacitacion/instituciones/nueva/", views.provider_edit, name="provider_create"),
    path("capacitacion/instituciones/<int:pk>/editar/", views.provider_edit, name="provider_edit"),
    path("capacitacion/oficinas/nueva/", views.office_edit, name="office_create"),
    path("capacitacion/oficinas/<int:pk>/editar/", views.office_edit, name="office_edit"),
]
