import pytest


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Uploaded survey lists go to a temporary folder, not the checkout's media/."""
    settings.MEDIA_ROOT = tmp_path / "media"
