"""Finding 9: uploaded lists, reports and bank files are never served at /media/; the views that
send them check who asks."""

import importlib

import pytest
from django.core.files.base import ContentFile
from django.urls import Resolver404, clear_url_caches, resolve, reverse

import config.urls
from provinces.roles import Role
from reports.models import ReportJob
from tests.factories import make_user
from tests.twofactor import sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def report(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    owner = make_user(Role.MINISTRY_REVIEWER)
    job = ReportJob.objects.create(kind="beneficiaries", format="csv", requested_by=owner, status="done")
    job.file.save("beneficiarios-tucuman.csv", ContentFile(b"cuil;cbu\n20123456786;0110599520000000010012\n"))
    return job


@pytest.fixture
def debug_urls(settings):
    """The URL conf as a DEBUG run (`make run`) builds it."""
    settings.DEBUG = True
    importlib.reload(config.urls)
    clear_url_caches()
    yield
    settings.DEBUG = False
    importlib.reload(config.urls)
    clear_url_caches()


def test_no_url_serves_media_even_under_debug(report, debug_urls, client):
    path = f"/media/{report.file.name}"
    with pytest.raises(Resolver404):
        resolve(path)
    sign_in(client, report.requested_by)
    assert client.get(path).status_code == 404


def test_stored_names_are_not_guessable(report):
    folder, random_part, name = report.file.name.rsplit("/", 2)
    assert name == "beneficiarios-tucuman.csv" and folder.startswith("reports/")
    assert len(random_part) >= 16
    other = ReportJob.objects.create(kind="beneficiaries", format="csv", requested_by=report.requested_by)
    other.file.save("beneficiarios-tucuman.csv", ContentFile(b"x"))
    assert other.file.name.rsplit("/", 2)[1] != random_part


def test_the_report_view_sends_the_file_to_its_requester_only(report, client):
    url = reverse("reports:job_download", args=[report.pk])
    sign_in(client, report.requested_by)
    response = client.get(url)
    assert response.status_code == 200 and b"20123456786" in b"".join(response.streaming_content)
    assert 'filename="beneficiarios-tucuman.csv"' in response["Content-Disposition"]
    for role in (Role.MINISTRY_REVIEWER, Role.AUDITOR, Role.PAYMENTS_OFFICER):
        sign_in(client, make_user(role))
        assert client.get(url).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302  # to the login page
