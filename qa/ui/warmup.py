"""Getting the chat page ready: the seeds indexed once on an empty store and the models loaded, in the background
while Gradio imports, with one lock so that seeding and uploads never run at once.
"""

from __future__ import annotations

import logging
import threading

from qa.config import Settings
from qa.display import redact_secrets
from qa.errors import QAError

INDEX_LOCK = threading.Lock()  # one auto-seed or upload at a time, whichever session (or the warm-up) comes first
_warm_up_started = threading.Event()
_warm_up_seeded = threading.Event()  # the warm-up's seeding is over (done, or failed and left to the first question)
_checked_homes: set[str] = set()


def ensure_index(settings: Settings) -> None:
    """Index the bundled seeds on an empty store (QA_AUTO_SEED), one caller at a time, so nobody sees half of it.

    Once a store has been checked, questions no longer wait for the lock, so an upload never holds them up
    (answer() itself still re-seeds a store that was emptied since).
    """
    from qa.answer import ensure_indexed

    home = settings.chroma_url or str(settings.resolved_home())
    if home in _checked_homes:
        return
    with INDEX_LOCK:
        ensure_indexed(settings)
        _checked_homes.add(home)


def start_warm_up(settings: Settings) -> None:
    """Once per process, in the background: seed an empty store and answer one question, so that the first
    real question neither waits for the seeds nor pays for loading models. Started before Gradio is imported."""
    if _warm_up_started.is_set():
        return
    _warm_up_started.set()
    threading.Thread(target=_warm_up, args=(settings,), name="qa-warm-up", daemon=True).start()


def wait_for_warm_up_seeding(timeout: float) -> None:
    """Block until the warm-up has seeded the store (or up to timeout); at once when no warm-up was started.

    The page lists example questions about the indexed articles when it is built, which is while the warm-up may
    be halfway through the seeds: without waiting, a fast start offered a question about only some of them.
    """
    if _warm_up_started.is_set():
        _warm_up_seeded.wait(timeout)


def _warm_up(settings: Settings) -> None:
    log = logging.getLogger("qa.ui")
    try:
        try:
            ensure_index(settings)
        finally:
            _warm_up_seeded.set()
        from qa.answer import answer

        answer("What did the foreign ministry say?", settings=settings)
    except QAError as exc:
        log.warning("qa: %s", redact_secrets(str(exc)))
    except Exception:  # the first question reports it properly
        log.exception("warm-up failed")
