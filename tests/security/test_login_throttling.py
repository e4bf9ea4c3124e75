"""Finding 7: wrong passwords lock the username at that address (django-axes), on the site's login
and the Django admin's, with a clear message that says nothing about whether the user exists."""

import datetime as dt
import re

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import SESSION_KEY
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import translation

from provinces.roles import Role
from tests.factories import PASSWORD, UserFactory, make_user

pytestmark = pytest.mark.django_db

LOGIN = "/ingresar/"
ADMIN_LOGIN = "/admin/login/"


def attempt(client, url, username, password, **extra):
    return client.post(url, {"username": username, "password": password, "next": "/"}, **extra)


def logged_in(client) -> bool:
    return SESSION_KEY in client.session


def test_two_hundred_wrong_passwords_then_the_right_one_stays_locked(client, settings):
    user = make_user(Role.MINISTRY_REVIEWER)
    for _ in range(200):
        attempt(client, LOGIN, user.username, "wrong-password")
    response = attempt(client, LOGIN, user.username, PASSWORD)
    assert response.status_code == 429 and not logged_in(client)
    page = response.content.decode()
    assert "Ingreso bloqueado" in page
    assert "30 minutos" in page and "administrador de accesos" in page


def test_the_limit_is_the_setting_and_a_success_before_it_resets_the_count(client, settings):
    user = make_user(Role.MINISTRY_REVIEWER)
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert attempt(client, LOGIN, user.username, "wrong").status_code == 200  # the form again
    assert attempt(client, LOGIN, user.username, PASSWORD).status_code == 302 and logged_in(client)
    client.logout()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        attempt(client, LOGIN, user.username, "wrong")
    assert attempt(client, LOGIN, user.username, PASSWORD).status_code == 302  # the count started again


def test_admin_login_is_locked_too(client, settings):
    admin = UserFactory(is_superuser=True, is_staff=True)
    for _ in range(200):
        attempt(client, ADMIN_LOGIN, admin.username, "wrong-password")
    response = attempt(client, ADMIN_LOGIN, admin.username, PASSWORD)
    assert response.status_code == 429 and not logged_in(client)
    assert "Ingreso bloqueado" in response.content.decode()
    # The site's login counts the same failures: the username is locked at this address everywhere.
    assert attempt(client, LOGIN, admin.username, PASSWORD).status_code == 429


def test_the_lockout_answer_is_the_same_for_unknown_usernames(settings):
    known = make_user(Role.MINISTRY_REVIEWER)
    answers = []
    for username in (known.username, "nadie-se-llama-asi"):
        client = Client()
        for _ in range(settings.AXES_FAILURE_LIMIT):
            attempt(client, LOGIN, username, "wrong")
        response = attempt(client, LOGIN, username, "wrong")
        page = re.sub(r'(csrfmiddlewaretoken" value=|X-CSRFToken": )"[^"]+"', "", response.content.decode())
        answers.append((response.status_code, page))
    assert answers[0] == answers[1] and answers[0][0] == 429


def test_another_address_or_username_is_not_locked(client, settings):
    user = make_user(Role.MINISTRY_REVIEWER)
    other = make_user(Role.MINISTRY_REVIEWER)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt(client, LOGIN, user.username, "wrong", REMOTE_ADDR="203.0.113.7")
    assert attempt(client, LOGIN, user.username, PASSWORD, REMOTE_ADDR="203.0.113.7").status_code == 429
    assert attempt(Client(), LOGIN, other.username, PASSWORD, REMOTE_ADDR="203.0.113.7").status_code == 302
    assert attempt(Client(), LOGIN, user.username, PASSWORD, REMOTE_ADDR="198.51.100.9").status_code == 302


def test_the_lock_ends_after_the_cool_off(client, settings):
    user = make_user(Role.MINISTRY_REVIEWER)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt(client, LOGIN, user.username, "wrong")
    assert attempt(client, LOGIN, user.username, PASSWORD).status_code == 429
    AccessAttempt.objects.update(
        attempt_time=dt.datetime.now(dt.UTC) - settings.AXES_COOLOFF_TIME - dt.timedelta(seconds=1)
    )
    assert attempt(client, LOGIN, user.username, PASSWORD).status_code == 302 and logged_in(client)


def test_an_administrator_unlocks_with_the_management_command(client, settings):
    user = make_user(Role.MINISTRY_REVIEWER)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt(client, LOGIN, user.username, "wrong")
    assert attempt(client, LOGIN, user.username, PASSWORD).status_code == 429
    call_command("axes_reset_username", user.username)
    assert attempt(client, LOGIN, user.username, PASSWORD).status_code == 302


def test_superusers_see_and_delete_attempts_in_the_admin(client, settings):
    user = make_user(Role.MINISTRY_REVIEWER)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt(client, LOGIN, user.username, "wrong")
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    listing = client.get(reverse("admin:axes_accessattempt_changelist"))
    assert listing.status_code == 200 and user.username in listing.content.decode()


def test_lockout_message_in_english(client, settings):
    user = make_user(Role.MINISTRY_REVIEWER)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt(client, LOGIN, user.username, "wrong")
    response = attempt(client, LOGIN, user.username, PASSWORD)
    translation.activate("es-ar")
    assert response.status_code == 429 and "Sign-in locked" in response.content.decode()


def test_the_test_clients_login_counts_like_the_form(settings):
    """``client.login`` (tests/conftest.py gives it a request) is refused once the form locked the user."""
    user = make_user(Role.MINISTRY_REVIEWER)
    assert Client().login(username=user.username, password=PASSWORD)
    browser = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt(browser, LOGIN, user.username, "wrong")
    assert not Client().login(username=user.username, password=PASSWORD)
