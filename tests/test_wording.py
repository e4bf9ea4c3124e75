"""One way to say each thing: the language selector and corrected library translations."""

from __future__ import annotations

import pytest
from django import forms
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["es-ar", "en"])
def test_each_language_is_offered_in_its_own_name(client, language):
    client.cookies["django_language"] = language
    page = client.get(reverse("login")).content.decode()
    assert '<option value="en" lang="en"' in page and ">English</option>" in page
    assert ">Español de Argentina</option>" in page
    assert "inglés" not in page.lower() and ">Spanish" not in page


def test_an_empty_file_is_called_empty_not_emptied():
    with translation.override("es-ar"), pytest.raises(forms.ValidationError) as error:
        forms.FileField().clean(SimpleUploadedFile("padron.csv", b""))
    assert error.value.messages == ["El archivo enviado está vacío."]
