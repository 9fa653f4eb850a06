"""qa: answers about a collection of news articles, every claim cited to the passage it came from.

The whole Python API a script needs: answer() and ingest(), and the Answer they return.
"""

from qa.config import configure_offline

configure_offline()

from qa.answer import answer  # noqa: E402
from qa.errors import QAError  # noqa: E402
from qa.ingest import ingest  # noqa: E402
from qa.types import Answer, Citation, IngestReport, Passage  # noqa: E402

__all__ = ["Answer", "Citation", "IngestReport", "Passage", "QAError", "answer", "ingest"]
