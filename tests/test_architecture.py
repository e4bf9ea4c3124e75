"""Apps depend one way: provinces ← enrollment (+ screening) ← payments / training ← notifications ← claims
← api / reports ← selfservice ← demo.

The rule is the import-linter contract in ``pyproject.toml``; ``make lint`` runs it too. Imports
inside functions count as much as those at the top of a module.
"""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path

import grimp
import pytest
from importlinter.api import read_configuration
from importlinter.contracts.layers import LayersContract

ROOT = Path(__file__).resolve().parent.parent


def _contract() -> tuple[LayersContract, list[str]]:
    options = read_configuration(str(ROOT / "pyproject.toml"))
    (layers,) = [c for c in options["contracts_options"] if c.get("id") == "app-layers"]
    session = options["session_options"]
    contract = LayersContract(name=layers["name"], session_options=session, contract_options=layers)
    return contract, session["root_packages"]


@pytest.fixture(scope="module")
def graph_and_contract():
    contract, roots = _contract()
    return grimp.build_graph(*roots, cache_dir=None), contract


def test_the_contract_has_no_exception():
    contract, _roots = _contract()
    assert not contract.ignore_imports


def test_no_app_imports_one_above_it():
    """``lint-imports`` (the command ``make lint`` runs) keeps the contract."""
    result = subprocess.run(
        [str(Path(sys.executable).parent / "lint-imports"), "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("importer", "imported"),
    [
        ("enrollment.services", "payments.installments"),  # approval scheduling through an import
        ("provinces.services", "enrollment.selectors"),
        ("enrollment.screening.services", "payments.rates"),
        ("payments.batches", "reports.services"),
        ("training.services", "api.selectors"),
        ("payments.installments", "training.models"),  # siblings stay independent
        ("payments.installments", "claims.services"),  # an upheld claim acts on payments, not the reverse
        ("provinces.services", "demo.seed"),
        ("reports.services", "demo.seed"),  # the demo seeds every app: nothing depends on it
        ("enrollment.services", "notifications.services"),  # decisions reach the outbox through seams
        ("notifications.services", "claims.models"),  # claims write to the outbox, not the reverse
        ("api.views", "selfservice.status"),  # the public page reads the API's log, not the reverse
    ],
)
def test_an_upward_import_breaks_the_contract(graph_and_contract, importer, imported):
    graph, contract = graph_and_contract
    assert contract.check(copy.deepcopy(graph), verbose=False).kept
    upward = copy.deepcopy(graph)
    upward.add_import(importer=importer, imported=imported, line_number=1, line_contents=f"from {imported} import x")
    assert not contract.check(upward, verbose=False).kept
