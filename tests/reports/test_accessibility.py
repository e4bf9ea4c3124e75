"""Every form field has a label, and figures are shown in Argentine format (es-AR:
1.234,56 and dd/mm/aaaa) — in English, in English format."""

import datetime as dt
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.urls import reverse

from tests.factories import AgreementFactory, province

pytestmark = pytest.mark.django_db


class FieldsAndLabels(HTMLParser):
    """Collects form fields and how each is labelled."""

    def __init__(self):
        super().__init__()
        self.fields: list[dict] = []
        self.label_for: set[str] = set()
        self.open_labels = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "label":
            self.open_labels += 1
            if a.get("for"):
                self.label_for.add(a["for"])
        elif tag in ("input", "select", "textarea"):
            if tag == "input" and a.get("type") in ("hidden", "submit", "button", "reset", "image"):
                return
            self.fields.append({**a, "_tag": tag, "_wrapped": self.open_labels > 0})

    def handle_endtag(self, tag):
        if tag == "label":
            self.open_labels -= 1

    def unlabelled(self) -> list[str]:
        missing = []
        for f in self.fields:
            labelled = f["_wrapped"] or f.get("id") in self.label_for or f.get("aria-label") or f.get("aria-labelledby")
            if not labelled:
                missing.append(f"<{f['_tag']} name={f.get('name')} id={f.get('id')}>")
        return missing


def form_pages(world):
    return [
        reverse("login"),
        reverse("provinces:agreement_create"),
        reverse("provinces:cycle_create"),
        reverse("provinces:organisation_create"),
        reverse("provinces:organisation_detail", args=[world.tuc_office.pk]),
        reverse("enrollment:enrollment_list"),
        reverse("reports:search") + "?q=gonzalez",
        reverse("reports:report_list"),
        reverse("reports:dashboard"),
        reverse("home"),
    ]


def test_every_form_field_has_a_label(world, login):
    client = login(world.users["reviewer"])
    checked = 0
    for url in form_pages(world):
        response = client.get(url)
        assert response.status_code == 200, url
        parser = FieldsAndLabels()
        parser.feed(response.content.decode())
        assert parser.unlabelled() == [], url
        checked += len(parser.fields)
    assert checked > 30  # the pages really have forms


def test_money_and_dates_in_argentine_format(world, login):
    AgreementFactory(
        province=province("Salta"),
        number="CONV-SAL",
        budget=Decimal("1234.56"),
        start_date=dt.date(2026, 3, 7),
        end_date=dt.date(2026, 12, 31),
    )
    body = login(world.users["reviewer"]).get(reverse("provinces:agreement_list")).content.decode()
    assert "1.234,56" in body and "07/03/2026" in body
    dashboard = login(world.users["reviewer"]).get(reverse("reports:dashboard")).content.decode()
    assert "1.234.567,89" in dashboard and "1.234,56" in dashboard


def test_english_pages_use_english_formats_and_texts(world, login):
    client = login(world.users["reviewer"])
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    body = client.get(reverse("reports:dashboard")).content.decode()
    assert '<html lang="en">' in body
    assert "Enrollments by status" in body and "Dashboard" in body
    assert "1,234,567.89" in body
    search = client.get(reverse("reports:search")).content.decode()
    assert "CUIL, DNI or surname and name" in search
