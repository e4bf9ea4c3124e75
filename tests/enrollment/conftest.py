import pytest


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Uploaded survey lists go to a temporary folder, not the checkout's media/."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def worker_lost_before_done(monkeypatch):
    """``apply_import`` dies (as a worker whose process is killed) just before it marks the job
    done; the fixture's ``recover()`` brings the worker back for the retry."""
    from enrollment.imports import jobs
    from enrollment.models import ImportJob

    real = jobs.set_status

    def crash(job, status, **fields):
        if status == ImportJob.Status.DONE:
            raise ConnectionError("worker lost")
        return real(job, status, **fields)

    monkeypatch.setattr(jobs, "set_status", crash)

    class Worker:
        @staticmethod
        def recover() -> None:
            monkeypatch.setattr(jobs, "set_status", real)

    return Worker
