"""The chat page's optional login, QA_UI_AUTH=user:password, checked before Gradio is imported.

A malformed value stops `qa chat` with one line before anything starts listening.
"""

from __future__ import annotations

from qa.config import Settings
from qa.errors import QAError


def login_pair(settings: Settings) -> tuple[str, str] | None:
    """QA_UI_AUTH=user:password as Gradio's auth pair; None when unset. Raises QAError on another shape."""
    value = settings.ui_auth.get_secret_value() if settings.ui_auth is not None else ""
    if not value:
        return None
    user, sep, password = value.partition(":")
    if not sep or not user.strip() or not password:
        raise QAError("QA_UI_AUTH must look like user:password")
    return user.strip(), password
