"""The SMS texts: one message, plain punctuation, whatever the reason typed."""

from decimal import Decimal

from notifications import texts


def test_a_reason_typed_with_a_final_period_does_not_end_in_two():
    text = texts.claim_resolved(number=4, upheld=False, resolution="El padrón registra el beneficio.")
    assert "beneficio. Detalle en" in text
    assert ".." not in text


def test_a_long_reason_is_cut_with_an_ellipsis_and_no_period_after_it():
    reason = "Beneficio incompatible de otro programa: mismo CUIL, mismo apellido y nombre, " * 3
    text = texts.held(month="06/2026", reason=reason)
    assert len(text) <= texts.SMS_LIMIT
    assert "…" in text and "…." not in text
    assert text.endswith(texts.status_url())


def test_a_short_message_is_left_as_written():
    text = texts.approved(months=3, amount=Decimal("64000.00"))
    assert "3 cuotas de $64.000,00." in text
