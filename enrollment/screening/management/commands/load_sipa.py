"""Load SIPA monthly remunerations or the SMVM table from CSV files (reference data)."""

from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from enrollment.screening import loading, services


class Command(BaseCommand):
    help = (
        "Carga remuneraciones SIPA (columnas cuil, mes, cuit_empleador, actividad, remuneracion) "
        "o, con --smvm, la tabla del SMVM (columnas mes, monto)."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)
        parser.add_argument("--smvm", action="store_true", help="el archivo es la tabla del SMVM")

    def handle(self, *args, path: Path, smvm: bool, **options):
        if not path.exists():
            raise CommandError(f"No existe el archivo {path}.")
        if smvm:
            return self._smvm(path)
        with path.open("rb") as handle:
            try:
                outcome = services.load_remunerations(fileobj=handle)
            except loading.FileError as error:
                raise CommandError(str(error)) from error
        for error in outcome["errors"]:
            self.stderr.write(f"Fila {error['row']}: {error['error']}")
        self.stdout.write(f"{outcome['loaded']} remuneraciones cargadas, {outcome['rejected']} filas rechazadas.")

    def _smvm(self, path: Path) -> None:
        loaded = 0
        with path.open(encoding="utf-8-sig") as handle:
            lines = [line.strip() for line in handle if line.strip()]
        for number, line in enumerate(lines[1:], start=2):
            cells = [c.strip() for c in line.replace(";", ",").split(",")]
            try:
                month = loading.parse_month(cells[0])
                amount = Decimal(cells[1])
            except (IndexError, ValueError, InvalidOperation):
                self.stderr.write(f"Fila {number}: mes o monto ilegible «{line}»")
                continue
            services.set_minimum_wage(month=month, amount=amount)
            loaded += 1
        self.stdout.write(f"{loaded} meses del SMVM cargados.")
