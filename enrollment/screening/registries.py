"""Loading the screening engine's reference data and registries: the minimum wage, SIPA's
monthly remunerations, and versions of other programmes' registries (COPYed, indexed and
switched in one transaction).

``enrollment.screening.services`` re-exports these functions for the callers it always had."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from enrollment.screening import loading
from enrollment.screening.matching import build_registry_index
from enrollment.screening.models import (
    ExternalRecord,
    ExternalRegistry,
    MinimumWage,
    RegistryBirthBlock,
    RegistryNameWord,
    RegistryVersion,
)

#: How many row errors a registry version keeps in full (the count is always exact).
MAX_STORED_ERRORS = 5000


def _require(by, perm: str, message: str) -> None:
    if by is None or not by.has_perm(perm):
        raise PermissionDenied(message)


# --- reference data -------------------------------------------------------------------------


@transaction.atomic
def set_minimum_wage(*, month: dt.date, amount: Decimal) -> MinimumWage:
    """The SMVM of a month (first day), created or corrected."""
    if month.day != 1:
        raise ValidationError({"month": _("Indique el primer día del mes.")})
    wage, _created = MinimumWage.objects.update_or_create(month=month, defaults={"amount": amount})
    return wage


def load_remunerations(*, fileobj) -> dict:
    """Load SIPA monthly remunerations from CSV (cuil, mes, cuit_empleador, actividad,
    remuneracion): valid rows by COPY into a staging table and then upserted in one statement;
    each bad row reported with its number. Returns ``{"loaded", "rejected", "errors"}``."""
    errors: list[dict] = []
    rejected = 0
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMPORARY TABLE IF NOT EXISTS sipa_stage (cuil text, month date, employer_cuit text,"
            " activity text, gross numeric(12,2)) ON COMMIT DROP"
        )
        cursor.execute("TRUNCATE sipa_stage")
        with cursor.copy("COPY sipa_stage FROM STDIN") as copy:
            for number, values, error in loading.remuneration_rows(fileobj):
                if values is None:
                    rejected += 1
                    if len(errors) < MAX_STORED_ERRORS:
                        errors.append({"row": number, "error": error})
                else:
                    copy.write_row(values)
        cursor.execute(
            """
            INSERT INTO screening_remuneration (cuil, month, employer_cuit, activity, gross)
            SELECT cuil, month, employer_cuit, min(activity), sum(gross) FROM sipa_stage
             GROUP BY cuil, month, employer_cuit
            ON CONFLICT (cuil, month, employer_cuit)
            DO UPDATE SET activity = EXCLUDED.activity, gross = EXCLUDED.gross
            """
        )
        loaded = cursor.rowcount
        # Fresh statistics: the eligibility rules join a whole list's candidates to this table
        # right after a monthly extract, before autovacuum would have looked at it.
        cursor.execute("ANALYZE screening_remuneration")
    return {"loaded": loaded, "rejected": rejected, "errors": errors}


# --- registries -----------------------------------------------------------------------------


@transaction.atomic
def save_registry(
    *, by, code: str, programme: str, kind: str, is_incompatible: bool, registry: ExternalRegistry | None = None
) -> ExternalRegistry:
    """Create or change a registry's configuration: which programme, and whether it conflicts."""
    _require(by, "screening.load_externalregistry", _("Solo personal del Ministerio administra padrones."))
    registry = registry or ExternalRegistry(code=code)
    registry.programme, registry.kind, registry.is_incompatible = programme, kind, is_incompatible
    registry.full_clean(exclude=["current_version"])
    registry.save()
    return registry


def upload_registry_file(*, by, registry: ExternalRegistry, uploaded) -> RegistryVersion:
    """Store an uploaded file as a pending version of ``registry`` and queue its load."""
    _require(by, "screening.load_externalregistry", _("Solo personal del Ministerio carga padrones."))
    with transaction.atomic():
        version = RegistryVersion.objects.create(registry=registry, source_name=uploaded.name[:255], uploaded_by=by)
        version.source_file.save(f"{registry.code}-{version.pk}.csv", uploaded, save=True)
        from enrollment.screening.tasks import load_registry_task

        transaction.on_commit(lambda: load_registry_task.delay(version.pk))
    return version


def load_registry_version(*, version_id: int, fileobj=None) -> RegistryVersion:
    """Load a version's CSV and make it the registry's current list.

    Rules: valid rows load and each bad row (missing columns, bad CUIL or DNI, unreadable dates)
    is reported with its number; the records are COPYed into the new version and the registry's
    pointer switched in the same transaction, so readers see the old list or the new one, never
    a mix. Loading the same version twice does nothing (idempotent). Versions older than the
    previous one are then deleted."""
    with transaction.atomic():
        version = RegistryVersion.objects.select_for_update().get(pk=version_id)
        if version.status in (RegistryVersion.Status.CURRENT, RegistryVersion.Status.SUPERSEDED):
            return version
        version.status = RegistryVersion.Status.LOADING
        version.save(update_fields=["status"])
    source = fileobj if fileobj is not None else version.source_file.open("rb")
    read = rejected = 0
    errors: list[dict] = []
    try:
        with transaction.atomic():
            registry = ExternalRegistry.objects.select_for_update().get(pk=version.registry_id)
            with connection.cursor() as cursor:
                with cursor.copy(
                    "COPY screening_externalrecord (version_id, registry_id, row_number, cuil, dni, last_name,"
                    " first_name, name_key, last_key, sort_key, birth_date, benefit_from, benefit_to) FROM STDIN"
                ) as copy:
                    for number, values, error in loading.registry_rows(source):
                        read += 1
                        if values is None:
                            rejected += 1
                            if len(errors) < MAX_STORED_ERRORS:
                                errors.append({"row": number, "error": error})
                            continue
                        copy.write_row((version.pk, registry.pk, number, *values))
                build_registry_index(cursor, version.pk)
                cursor.execute("ANALYZE screening_externalrecord")
            previous = registry.current_version_id
            if previous:
                RegistryVersion.objects.filter(pk=previous).update(status=RegistryVersion.Status.SUPERSEDED)
            version.status = RegistryVersion.Status.CURRENT
            version.activated_at = timezone.now()
            version.rows_read, version.rows_loaded, version.rows_rejected = read, read - rejected, rejected
            version.errors = errors
            version.message = ngettext(
                "%(loaded)s registros cargados, %(rejected)s fila rechazada.",
                "%(loaded)s registros cargados, %(rejected)s filas rechazadas.",
                rejected,
            ) % {"loaded": read - rejected, "rejected": rejected}
            version.save()
            registry.current_version = version
            registry.save(update_fields=["current_version"])
    except loading.FileError as error:
        RegistryVersion.objects.filter(pk=version.pk).update(status=RegistryVersion.Status.FAILED, message=str(error))
        version.refresh_from_db()
        return version
    finally:
        if fileobj is None:
            source.close()
    _drop_old_versions(registry_id=version.registry_id)
    return version


def _drop_old_versions(*, registry_id: int) -> None:
    """Keep the current and the previous version (a screening may still be reading it)."""
    keep = list(
        RegistryVersion.objects.filter(
            registry_id=registry_id, status__in=[RegistryVersion.Status.CURRENT, RegistryVersion.Status.SUPERSEDED]
        )
        .order_by("-activated_at")
        .values_list("pk", flat=True)[:2]
    )
    old = RegistryVersion.objects.filter(registry_id=registry_id, status=RegistryVersion.Status.SUPERSEDED).exclude(
        pk__in=keep
    )
    RegistryBirthBlock.objects.filter(version__in=old)._raw_delete(connection.alias)
    RegistryNameWord.objects.filter(version__in=old)._raw_delete(connection.alias)
    ExternalRecord.objects.filter(version__in=old)._raw_delete(connection.alias)
