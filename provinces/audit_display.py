"""The audit trail in human words: what the audit page and every record's history show.

An event of django-pghistory holds column names, raw values and the id of the user in its
context. :func:`describe` turns one page of events into rows a person reads: the model's and
the field's verbose names, the user's full name, the local time (America/Argentina/Buenos_Aires,
dd/mm/aaaa HH:MM), the old and the new value with choice labels, related records by name,
yes/no, dates and amounts in es-AR form. Related records and users are read set-based: one
query per related model for the whole page, never one per event.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import models
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.formats import number_format
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from provinces.display import format_cuil

#: columns that say nothing to a person (derived copies, bookkeeping)
HIDDEN_FIELDS = {"id", "last_name_norm", "first_name_norm", "updated_at", "search_vector", "pgh_obj"}

ACTIONS = {"insert": gettext_noop("Alta"), "update": gettext_noop("Cambio"), "delete": gettext_noop("Baja")}


@dataclass
class Change:
    label: str
    old: str
    new: str


@dataclass
class AuditRow:
    at: dt.datetime
    model_label: str
    model_key: str | None
    obj_id: str
    obj_text: str
    action: str
    who: str
    reason: str
    origin: str
    changes: list[Change] = field(default_factory=list)


def _model(label: str) -> type[models.Model] | None:
    try:
        return apps.get_model(label)
    except (LookupError, ValueError):
        return None


def _field_of(model, column: str) -> models.Field | None:
    for candidate in model._meta.concrete_fields:
        if candidate.attname == column or candidate.name == column:
            return candidate
    return None


def person(user) -> str:
    if user is None:
        return "—"
    return user.get_full_name() or user.username


def _plain(value, model_field: models.Field | None) -> str:
    """A stored value in words (foreign keys are resolved by the caller)."""
    if value is None or value == "":
        return "∅"
    if model_field is not None and model_field.choices:
        labels = {str(key): label for key, label in model_field.flatchoices}
        return str(labels.get(str(value), value))
    if isinstance(value, bool) or isinstance(model_field, models.BooleanField):
        return _("Sí") if value in (True, "true", "True") else _("No")
    if isinstance(model_field, models.DateTimeField) and isinstance(value, str):
        moment = parse_datetime(value)
        if moment is not None:
            if timezone.is_naive(moment):
                moment = timezone.make_aware(moment, dt.UTC)
            return timezone.localtime(moment).strftime("%d/%m/%Y %H:%M")
    if isinstance(model_field, models.DateField) and isinstance(value, str):
        day = parse_date(value[:10])
        if day is not None:
            return day.strftime("%d/%m/%Y")
    if isinstance(model_field, models.DecimalField):
        try:
            places = model_field.decimal_places or 0  # amounts 2, a match score 3
            return number_format(Decimal(str(value)), decimal_pos=places, use_l10n=True, force_grouping=True)
        except InvalidOperation:
            return str(value)
    if isinstance(value, list):
        base = getattr(model_field, "base_field", None)  # an ArrayField's items, each in words
        return ", ".join(_plain(v, base) for v in value) or "∅"
    if model_field is not None and "cuil" in model_field.name:
        return format_cuil(value)
    if isinstance(value, dict):
        return _record(value)
    return str(value)


def _record(value: dict) -> str:
    """A JSON record (a matched registry row, say) as "key: value" pairs a person reads: the
    key's underscores as spaces, ISO dates as dd/mm/aaaa, 11-digit CUILs with their dashes."""
    parts = []
    for key, item in value.items():
        if item is None or item == "":
            continue
        text = str(item)
        try:
            day = parse_date(text) if isinstance(item, str) and len(text) == 10 else None
        except ValueError:  # shaped like a date but none (1990-02-31): shown as it came
            day = None
        text = day.strftime("%d/%m/%Y") if day is not None else format_cuil(text)
        parts.append(f"{str(key).replace('_', ' ')}: {text}")
    return "; ".join(parts) or "∅"


def _key_of_label(label: str) -> str | None:
    from provinces.audit import AUDITED_MODELS

    for key, model_label in AUDITED_MODELS.items():
        if model_label.lower() == label.lower():
            return key
    return None


def describe(events) -> list[AuditRow]:
    """One page of ``pghistory`` events (``Events`` rows) in words, in the order given."""
    events = list(events)
    user_model = get_user_model()
    # what to read in bulk: users of the contexts, related records named in diffs, the objects
    wanted: dict[type[models.Model], set] = defaultdict(set)
    plans = []
    for event in events:
        model = _model(event.pgh_obj_model)
        context = event.pgh_context or {}
        if isinstance(context.get("user"), int):
            wanted[user_model].add(context["user"])
        if model is not None and event.pgh_obj_id:
            wanted[model].add(event.pgh_obj_id)
        if event.pgh_diff:
            pairs = event.pgh_diff.items()
        elif event.pgh_label == "insert" and event.pgh_data:
            pairs = ((name, [None, value]) for name, value in event.pgh_data.items() if value not in (None, ""))
        else:
            pairs = ()
        fields = []
        for column, change in pairs:
            model_field = _field_of(model, column) if model is not None else None
            if column in HIDDEN_FIELDS or column.startswith("pgh_") or (model is not None and model_field is None):
                continue
            old, new = (change + [None, None])[:2] if isinstance(change, list) else (None, change)
            if model_field is not None and model_field.is_relation and model_field.related_model is not None:
                for value in (old, new):
                    if value not in (None, ""):
                        wanted[model_field.related_model].add(value)
            fields.append((model_field, column, old, new))
        plans.append((event, model, context, fields))
    known: dict[type[models.Model], dict[str, object]] = {}
    for model, ids in wanted.items():
        pk_field = model._meta.pk
        try:
            cleaned = [pk_field.to_python(i) for i in ids]
        except Exception:  # noqa: BLE001 - an id the model cannot read names nothing
            cleaned = []
        known[model] = {str(obj.pk): obj for obj in model._default_manager.filter(pk__in=cleaned)}

    def named(model_field, value) -> str:
        if value in (None, ""):
            return "∅"
        if model_field is not None and model_field.is_relation and model_field.related_model is not None:
            obj = known.get(model_field.related_model, {}).get(str(value))
            if obj is None:
                return f"#{value}"
            return person(obj) if isinstance(obj, user_model) else str(obj)
        return _plain(value, model_field)

    rows = []
    for event, model, context, fields in plans:
        user = known.get(user_model, {}).get(str(context.get("user")))
        obj = known.get(model, {}).get(str(event.pgh_obj_id)) if model is not None else None
        origin = " ".join(str(context[k]) for k in ("ip", "url") if context.get(k))
        rows.append(
            AuditRow(
                at=timezone.localtime(event.pgh_created_at),
                model_label=str(capfirst(model._meta.verbose_name)) if model is not None else event.pgh_obj_model,
                model_key=_key_of_label(event.pgh_obj_model),
                obj_id=str(event.pgh_obj_id or ""),
                obj_text=str(obj) if obj is not None else f"#{event.pgh_obj_id}",
                action=_(ACTIONS[event.pgh_label]) if event.pgh_label in ACTIONS else event.pgh_label,
                who=person(user) if user is not None else (_("el sistema") if not context.get("user") else "—"),
                reason=str(context.get("reason") or ""),
                origin=origin,
                changes=[
                    Change(
                        label=str(capfirst(f.verbose_name)) if f is not None else column,
                        old=named(f, old) if event.pgh_label != "insert" else "",
                        new=named(f, new),
                    )
                    for f, column, old, new in fields
                ],
            )
        )
    return rows
