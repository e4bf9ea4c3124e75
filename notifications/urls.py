from django.urls import path

from notifications import views

app_name = "notifications"

urlpatterns = [
    path("trabajadores/<int:worker_pk>/avisos/", views.contact, name="contact"),
    path("avisos/", views.message_list, name="message_list"),
]
