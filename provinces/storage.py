"""File storage for uploaded lists, generated reports and bank files.

These files hold CUILs, names and CBUs. No URL pattern serves ``MEDIA_ROOT`` — not under
``DEBUG``, not under ``make run``, and the proxy must not either (docs/deploy.md): each file is
sent by a view that checks the user's scope on the object that owns it (the report's requester,
the batch's payments roles). Each new file is also stored under a random folder, so that a file
name seen once (a list's name, a bank file's batch and month) does not tell where another is.
"""

from __future__ import annotations

import posixpath
import secrets

from django.core.files.storage import FileSystemStorage


class PrivateFileStorage(FileSystemStorage):
    def generate_filename(self, filename: str) -> str:
        folder, name = posixpath.split(filename.replace("\\", "/"))
        return super().generate_filename(posixpath.join(folder, secrets.token_urlsafe(12), name))
