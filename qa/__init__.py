"""qa: answers about a collection of news articles, every claim cited to the passage it came from.

The whole Python API a script needs: answer() and ingest(), and the Answer they return.
"""

from qa.config import configure_offline

configure_offline()

from qa.answer import answer, answer_stream
from qa.errors import QAError
from qa.index.ingest import ingest
from qa.types import Answer, Citation, IngestReport, Passage

__all__ = ["Answer", "Citation", "IngestReport", "Passage", "QAError", "answer", "answer_stream", "ingest"]
