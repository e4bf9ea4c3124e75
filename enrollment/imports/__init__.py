"""Survey-list imports (padrones): upload → analyse → confirm → apply, one module per stage.

- ``read``: CSV and XLSX files into a header and rows of cell values.
- ``check``: every row checked in Python, with the reference data read once.
- ``routes``: the period each row goes to (its province and activity), decided once per pair.
- ``stage``: the analysis — valid rows and problems staged with ``COPY``, and the summary.
- ``apply``: confirming, then writing workers and enrollments set-based (in chunks when long).
- ``jobs``: the job's bookkeeping — upload, discard, status, who sees it, problems as CSV.

The same rules as ``services.py`` hold: every write is in these modules, keyword-only
arguments, one transaction per step, and each docstring says the rule. The names below are
what views and Celery tasks call.
"""

from enrollment.imports.apply import (
    apply_import,
    confirm_import,
    import_reason,
    nothing_to_confirm,
    purge_staged_rows,
    submitted_enrollment_ids,
)
from enrollment.imports.jobs import (
    cancel_import,
    create_import_job,
    errors_csv_rows,
    import_jobs_for,
    registrable_cycles_for,
    require_job_actor,
    unlisted_errors_text,
    write_errors_csv,
)
from enrollment.imports.stage import analyse_import

__all__ = [
    "analyse_import",
    "apply_import",
    "cancel_import",
    "confirm_import",
    "create_import_job",
    "errors_csv_rows",
    "import_jobs_for",
    "nothing_to_confirm",
    "import_reason",
    "purge_staged_rows",
    "registrable_cycles_for",
    "require_job_actor",
    "submitted_enrollment_ids",
    "unlisted_errors_text",
    "write_errors_csv",
]
