"""The worker page's bank-account section: the CBU history (every change request and its state),
any pending request, a shared-CBU warning and, for those who may ask, the link to request a
change. Read through ``enrollment``'s scoping (the page itself answers 404 outside it)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from enrollment.bank_account_views import worker_section
from reports.worker_story import WorkerSection, register_worker_section


def worker_cbu_section(user, worker) -> WorkerSection:
    context = worker_section(user=user, worker=worker)
    context["worker"] = worker
    return WorkerSection("cbu", str(_("Cuenta bancaria (CBU)")), "reports/worker/_cbu.html", context)


register_worker_section("cbu", worker_cbu_section, order=15)
