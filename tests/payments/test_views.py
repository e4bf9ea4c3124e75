"""Payments pages: payments officers act, auditors read, every other role gets 403."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from payments import bank_files, batches
from payments.common import batch_month_for
from payments.models import BankFile, PaymentBatch
from provinces.roles import Role
from tests.factories import OrganisationFactory, UserFactory, make_user, province
from tests.twofactor import sign_in, verified

pytestmark = pytest.mark.django_db
MAY = dt.date(2026, 5, 1)


@pytest.fixture
def outsiders():
    tuc_office = OrganisationFactory(province=province("Tucumán"))
    union = OrganisationFactory(kind="union", province=province("Tucumán"))
    return {
        "reviewer": make_user(Role.MINISTRY_REVIEWER),
        "provincial": make_user(Role.PROVINCIAL_OFFICER, tuc_office),
        "union": make_user(Role.UNION_OFFICER, union),
        "no_role": UserFactory(),
    }


@pytest.fixture
def batch(approved, officer):
    approved()
    with TestCase.captureOnCommitCallbacks(execute=True):
        return batches.request_batch(month=batch_month_for(MAY), by=officer)


def batch_urls(batch):
    """Batches, their files and the rates: the ministry's payments roles only."""
    return [
        reverse("payments:batch_list"),
        reverse("payments:batch_detail", args=[batch.pk]),
        reverse("payments:batch_progress", args=[batch.pk]),
        reverse("payments:bank_files", args=[batch.pk]),
        reverse("payments:rate_list"),
    ]


def installment_urls(batch):
    """Installments: read within scope by provincial and union officers too."""
    worker_id = batch.items.first().installment.worker_id
    return [
        reverse("payments:worker_payments", args=[worker_id]),
        reverse("payments:monthly_totals"),
        reverse("payments:installment_list"),
    ]


def read_urls(batch):
    return batch_urls(batch) + installment_urls(batch)


def test_payments_officer_and_auditor_read_every_page(client, batch, officer):
    auditor = make_user(Role.AUDITOR)
    for user in (officer, auditor):
        sign_in(client, user)
        for url in read_urls(batch):
            response = client.get(url)
            assert response.status_code == 200, url
    response = client.get(reverse("payments:batch_detail", args=[batch.pk]))
    assert "Tucumán" in response.content.decode() and "64.000,00" in response.content.decode()


def test_other_roles_get_403_on_every_batch_and_rate_page(client, batch, outsiders):
    for name, user in outsiders.items():
        sign_in(client, user)
        for url in batch_urls(batch):
            assert client.get(url).status_code == 403, (name, url)


def test_installment_pages_answer_each_role_within_its_scope(client, batch, outsiders):
    """The batch's worker was registered and enrolled by a Tucumán office: the Tucumán officer
    reads their payments, the union (which did not register them) gets 404 on the worker and
    empty lists, and roles without the permission get 403."""
    worker_payments, totals, installments = installment_urls(batch)
    expected = {
        "reviewer": (403, 403, 403),
        "no_role": (403, 403, 403),
        "provincial": (200, 200, 200),
        "union": (404, 200, 200),
    }
    for name, user in outsiders.items():
        sign_in(client, user)
        got = tuple(client.get(url).status_code for url in (worker_payments, totals, installments))
        assert got == expected[name], name
    sign_in(client, outsiders["union"])
    assert client.get(installments).context["page"].paginator.count == 0
    assert list(client.get(totals).context["rows"]) == []
    sign_in(client, outsiders["provincial"])
    assert client.get(installments).context["page"].paginator.count == 4
    page = client.get(worker_payments).content.decode()
    # a batch line is shown by its reference, without a link to the batch the officer cannot open
    assert batch.items.first().reference in page
    assert reverse("payments:batch_detail", args=[batch.pk]) not in page


def test_nav_shows_payments_only_to_payments_officers_and_auditors(client, officer, outsiders):
    sign_in(client, officer)
    assert reverse("payments:batch_list") in client.get(reverse("home")).content.decode()
    sign_in(client, outsiders["reviewer"])
    assert reverse("payments:batch_list") not in client.get(reverse("home")).content.decode()


def test_officer_requests_a_batch_from_the_form(client, approved, officer):
    approved()
    sign_in(client, officer)
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(reverse("payments:batch_list"), {"month": "2026-06"})
    batch = PaymentBatch.objects.get()
    assert response.status_code == 302 and response.url == reverse("payments:batch_detail", args=[batch.pk])
    assert batch.item_count == 1 and batch.built_by == officer  # May's installment, a month in arrears
    page = client.get(response.url).content.decode()
    assert "Lote de 06/2026 — paga cuotas de 05/2026 y anteriores." in page


def test_a_batch_of_the_covered_month_itself_pays_nothing_yet(client, approved, officer):
    approved()
    sign_in(client, officer)
    with TestCase.captureOnCommitCallbacks(execute=True):
        client.post(reverse("payments:batch_list"), {"month": "2026-05"})
    assert PaymentBatch.objects.get().item_count == 0
    listing = client.get(reverse("payments:batch_list")).content.decode()
    assert "05/2026" in listing and "04/2026" in listing  # the batch and the last month it pays


def test_the_request_message_names_the_batch_once(client, approved, officer):
    approved()
    sign_in(client, officer)
    with TestCase.captureOnCommitCallbacks(execute=True):
        page = client.post(reverse("payments:batch_list"), {"month": "2026-05"}, follow=True)
    shown = [str(m) for m in page.context["messages"]]
    assert shown == [f"{PaymentBatch.objects.get()}: solicitado."]
    assert "Lote Lote" not in page.content.decode()


def test_bad_month_is_a_clear_message_and_nothing_is_created(client, officer):
    sign_in(client, officer)
    response = client.post(reverse("payments:batch_list"), {"month": "mayo"})
    assert response.status_code == 200 and "AAAA-MM" in response.content.decode()
    assert not PaymentBatch.objects.exists()


def test_auditor_cannot_build_approve_export_or_reconcile(client, batch):
    auditor = make_user(Role.AUDITOR)
    sign_in(client, auditor)
    assert client.post(reverse("payments:batch_list"), {"month": "2026-06"}).status_code == 403
    assert client.post(reverse("payments:batch_approve", args=[batch.pk])).status_code == 403
    assert client.post(reverse("payments:batch_export", args=[batch.pk, "csv"])).status_code == 403
    assert client.post(reverse("payments:batch_reconcile", args=[batch.pk])).status_code == 403
    batch.refresh_from_db()
    assert batch.status == PaymentBatch.Status.BUILT and PaymentBatch.objects.count() == 1


def test_provincial_and_union_officers_take_no_payment_action_even_in_their_scope(
    client, approved, officer, second_officer
):
    """Both read installments of their scope (the union's own enrollment is used here), and are
    refused building, approving, exporting, downloading, reconciling, rates, release and re-issue."""
    from decimal import Decimal

    from payments.models import Installment, Rate

    union = OrganisationFactory(kind="union", province=province("Tucumán"))
    enrollment = approved(worker__registered_by=union)
    with TestCase.captureOnCommitCallbacks(execute=True):
        batch = batches.request_batch(month=batch_month_for(MAY), by=officer)
    batches.approve_batch(batch=batch, by=verified(second_officer))
    bank_file = bank_files.export_bank_file(batch=batch, fmt="csv", by=officer)
    held, rejected = Installment.objects.filter(enrollment=enrollment, month__gt=MAY).order_by("month")[:2]
    Installment.objects.filter(pk=held.pk).update(status="held", hold_reason="prueba")
    Installment.objects.filter(pk=rejected.pk).update(status="rejected", bank_reason="CBU inexistente")
    rate = Rate.objects.create(amount=Decimal("70000.00"), effective_month=MAY, resolution="Res. SE 9/2026")
    before = sorted(Installment.objects.values_list("pk", "status", "amount"))
    reconciled_before = batch.reconciliations.count()
    officers = {
        "provincial": make_user(Role.PROVINCIAL_OFFICER, OrganisationFactory(province=province("Tucumán"))),
        "union": make_user(Role.UNION_OFFICER, union),
    }
    ret = SimpleUploadedFile("ret.csv", b"H;X;202605\nT;0;0\n")
    actions = [
        ("get", reverse("payments:batch_list"), {}),
        ("post", reverse("payments:batch_list"), {"month": "2026-06"}),
        ("get", reverse("payments:batch_detail", args=[batch.pk]), {}),
        ("post", reverse("payments:batch_approve", args=[batch.pk]), {}),
        ("post", reverse("payments:batch_export", args=[batch.pk, "fixed"]), {}),
        ("post", reverse("payments:batch_reconcile", args=[batch.pk]), {"file": ret}),
        ("get", reverse("payments:bank_file_download", args=[bank_file.pk]), {}),
        ("get", reverse("payments:rate_list"), {}),
        ("post", reverse("payments:rate_apply", args=[rate.pk]), {}),
        ("post", reverse("payments:installment_release", args=[held.pk]), {"reason": "Liberada"}),
        ("post", reverse("payments:installment_reissue", args=[rejected.pk]), {}),
    ]
    for name, user in officers.items():
        sign_in(client, user)
        # what they may read: the installment is in both scopes
        assert client.get(reverse("payments:worker_payments", args=[enrollment.worker_id])).status_code == 200
        page = client.get(reverse("payments:worker_payments", args=[enrollment.worker_id])).content.decode()
        assert "Liberar" not in page and "Reemitir" not in page
        for method, url, data in actions:
            assert getattr(client, method)(url, data).status_code in (403, 404), (name, url)
    assert sorted(Installment.objects.values_list("pk", "status", "amount")) == before
    assert PaymentBatch.objects.count() == 1 and batch.reconciliations.count() == reconciled_before
    batch.refresh_from_db()
    assert batch.status == PaymentBatch.Status.EXPORTED
    assert not Installment.objects.filter(kind="difference").exists()


def test_nav_offers_installments_but_not_batches_to_provincial_and_union_officers(client, outsiders):
    for name in ("provincial", "union"):
        sign_in(client, outsiders[name])
        home = client.get(reverse("home")).content.decode()
        assert reverse("payments:installment_list") in home and reverse("payments:batch_list") not in home, name


def test_the_batch_page_offers_approval_only_to_a_second_officer_and_names_people(
    client, batch, officer, second_officer
):
    batch.refresh_from_db()
    url = reverse("payments:batch_detail", args=[batch.pk])
    approve = reverse("payments:batch_approve", args=[batch.pk])
    sign_in(client, officer)
    page = client.get(url).content.decode()
    assert approve not in page and "lo aprueba otro oficial de pagos" in page
    assert officer.get_full_name() in page and f"{timezone.localtime(batch.built_at):%d/%m/%Y}" in page
    sign_in(client, second_officer)
    page = client.get(url).content.decode()
    assert approve in page


def test_progress_polling_swaps_in_the_lines_once_the_batch_is_built(client, batch, officer):
    sign_in(client, officer)
    url = reverse("payments:batch_progress", args=[batch.pk])
    line = batch.items.get()
    PaymentBatch.objects.filter(pk=batch.pk).update(status=PaymentBatch.Status.BUILDING)
    detail = client.get(reverse("payments:batch_detail", args=[batch.pk])).content.decode()
    assert f'hx-get="{url}"' in detail and 'hx-trigger="every 2s"' in detail
    polling = client.get(url, headers={"HX-Request": "true"})
    assert "HX-Refresh" not in polling and b"hx-trigger" in polling.content
    PaymentBatch.objects.filter(pk=batch.pk).update(status=PaymentBatch.Status.BUILT)
    done = client.get(url, headers={"HX-Request": "true"})
    body = done.content.decode()
    # no reload: the answer stops the polling and carries the lines, held installments and
    # returns, each swapped into its own place on the page
    assert not done.has_header("HX-Refresh") and "hx-trigger" not in body
    assert "Estado: <strong>Armado</strong>" in body
    for region in ("batch-lines", "batch-held", "batch-returns"):
        assert f'<section id="{region}" hx-swap-oob="true">' in body
    assert line.reference in body and f"{line.installment.month:%m/%Y}" in body


def test_the_batch_page_polls_while_a_bank_return_is_applied(client, batch, officer):
    from payments.models import ReturnFile

    returned = ReturnFile.objects.create(
        batch=batch, sha256="1" * 64, filename="respuesta.csv", content=b"x", uploaded_by=officer
    )
    sign_in(client, officer)
    url = reverse("payments:batch_progress", args=[batch.pk])
    assert 'hx-trigger="every 2s"' in client.get(reverse("payments:batch_detail", args=[batch.pk])).content.decode()
    ReturnFile.objects.filter(pk=returned.pk).update(status=ReturnFile.Status.DONE)
    body = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert "hx-trigger" not in body and "respuesta.csv" in body and "Procesado" in body


def test_batch_lines_show_the_month_and_installment_number(client, batch, officer):
    sign_in(client, officer)
    page = client.get(reverse("payments:batch_detail", args=[batch.pk])).content.decode()
    line = batch.items.select_related("installment").get()
    assert "<th>Mes</th>" in page and "Cuota n.º" in page
    assert f'<td>{line.installment.month:%m/%Y}</td><td class="num">{line.installment.number}</td>' in page


def test_builder_cannot_approve_but_a_second_officer_can_then_export_and_download(
    client, batch, officer, second_officer
):
    sign_in(client, officer)
    response = client.post(reverse("payments:batch_approve", args=[batch.pk]), follow=True)
    assert "otra persona" in response.content.decode()
    batch.refresh_from_db()
    assert batch.status == PaymentBatch.Status.BUILT
    sign_in(client, second_officer)
    client.post(reverse("payments:batch_approve", args=[batch.pk]))
    with TestCase.captureOnCommitCallbacks(execute=True):
        client.post(reverse("payments:batch_export", args=[batch.pk, "fixed"]))
    bank_file = BankFile.objects.get(batch=batch)
    response = client.get(reverse("payments:bank_file_download", args=[bank_file.pk]))
    assert response.status_code == 200 and b"".join(response.streaming_content) == bank_file.read()
    assert response["X-Content-SHA256"] == bank_file.sha256


def test_reconcile_upload_applies_the_return(client, batch, officer, second_officer):
    batches.approve_batch(batch=batch, by=verified(second_officer))
    bank_files.export_bank_file(batch=batch, fmt="csv", by=officer)
    item = batch.items.get()
    header = f"H;B{batch.pk:06d};{batch.month:%Y%m}"
    content = f"{header}\nD;{item.reference};{item.cuil};{item.amount};ACREDITADA;\nT;1;0\n".encode()
    sign_in(client, officer)
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(
            reverse("payments:batch_reconcile", args=[batch.pk]),
            {"file": SimpleUploadedFile("ret.csv", content)},
            follow=True,
        )
    assert "se aplica en segundo plano" in response.content.decode()
    page = client.get(reverse("payments:batch_detail", args=[batch.pk])).content.decode()
    assert "Procesado" in page
    batch.refresh_from_db()
    assert batch.status == PaymentBatch.Status.RECONCILED


def test_other_roles_cannot_download_bank_files(client, batch, officer, second_officer, outsiders):
    batches.approve_batch(batch=batch, by=verified(second_officer))
    bank_file = bank_files.export_bank_file(batch=batch, fmt="csv", by=officer)
    for user in outsiders.values():
        sign_in(client, user)
        assert client.get(reverse("payments:bank_file_download", args=[bank_file.pk])).status_code == 403


def test_officer_applies_a_retroactive_rate_and_auditor_cannot(client, batch, officer):
    from decimal import Decimal

    from payments.models import Installment, Rate

    rate = Rate.objects.create(amount=Decimal("70000.00"), effective_month=MAY, resolution="Res. SE 5/2026")
    sign_in(client, make_user(Role.AUDITOR))
    assert client.post(reverse("payments:rate_apply", args=[rate.pk])).status_code == 403
    assert not Installment.objects.filter(kind="difference").exists()
    sign_in(client, officer)
    response = client.post(reverse("payments:rate_apply", args=[rate.pk]), follow=True)
    assert "1 diferencias programadas" in response.content.decode()
    assert Installment.objects.get(kind="difference").amount == Decimal("6000.00")


def test_export_runs_in_the_background_and_shows_its_progress(client, batch, officer, second_officer):
    batches.approve_batch(batch=batch, by=verified(second_officer))
    sign_in(client, officer)
    with TestCase.captureOnCommitCallbacks(execute=False) as queued:
        response = client.post(reverse("payments:batch_export", args=[batch.pk, "csv"]), follow=True)
    assert "en preparación" in response.content.decode()
    bank_file = BankFile.objects.get(batch=batch)
    assert bank_file.status == BankFile.Status.QUEUED and not bank_file.file
    page = client.get(reverse("payments:bank_files", args=[batch.pk])).content.decode()
    assert "hx-trigger" in page and "0 de 1 transferencias escritas" in page
    assert client.get(reverse("payments:bank_file_download", args=[bank_file.pk])).status_code == 404

    for callback in queued:  # the Celery task, as the commit would queue it
        callback()
    bank_file.refresh_from_db()
    assert bank_file.status == BankFile.Status.DONE and bank_file.progress_done == 1
    page = client.get(reverse("payments:bank_files", args=[batch.pk])).content.decode()
    assert "hx-trigger" not in page and bank_file.sha256 in page
    batch.refresh_from_db()
    assert batch.status == PaymentBatch.Status.EXPORTED


def test_bank_files_page_is_refused_to_other_roles(client, batch, outsiders):
    for user in outsiders.values():
        sign_in(client, user)
        assert client.get(reverse("payments:bank_files", args=[batch.pk])).status_code == 403


def test_bank_files_are_sent_by_their_view_never_at_media(client, batch, officer, second_officer, outsiders):
    batches.approve_batch(batch=batch, by=verified(second_officer))
    bank_file = bank_files.export_bank_file(batch=batch, fmt="csv", by=officer)
    sign_in(client, officer)
    assert client.get(f"/media/{bank_file.file.name}").status_code == 404
    download = client.get(reverse("payments:bank_file_download", args=[bank_file.pk]))
    assert download.status_code == 200 and b"".join(download.streaming_content) == bank_file.read()
    for user in outsiders.values():
        sign_in(client, user)
        assert client.get(f"/media/{bank_file.file.name}").status_code == 404
        assert client.get(reverse("payments:bank_file_download", args=[bank_file.pk])).status_code in (403, 404)


def test_batch_lines_show_the_full_cbu_only_to_a_verified_payments_officer(client, batch, officer):
    from tests.twofactor import verify_client

    cbu = batch.items.get().cbu
    url = reverse("payments:batch_detail", args=[batch.pk])
    sign_in(client, make_user(Role.AUDITOR))  # verified too: the mask does not depend on it
    body = client.get(url).content.decode()
    assert cbu not in body and f"•••• {cbu[-4:]}" in body
    client.force_login(officer)
    verify_client(client, officer)
    assert cbu in client.get(url).content.decode()
