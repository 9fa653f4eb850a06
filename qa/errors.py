"""The one family of errors a user can cause; each message says what to do next.

The CLI prints them in one line and the UI shows them in the page; library tracebacks stay inside.
"""


class QAError(Exception):
    """Base of every error qa raises on purpose."""


class BadQuestionError(QAError, ValueError):
    """The question or its options cannot be answered as given (empty, too long, top_k < 1)."""


class EmptyIndexError(QAError):
    """Nothing is indexed yet."""


class StoreError(QAError):
    """The Chroma store cannot be reached or opened."""


class IngestError(QAError):
    """A file could not be turned into an article (unreadable, binary, empty, too large)."""


class LLMError(QAError):
    """The language model could not answer: misconfigured, unreachable, failing, too slow or making no sense.

    answer() raises it only when QA_LLM_FALLBACK is off; otherwise it answers extractively and says why.
    """
