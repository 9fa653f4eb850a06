"""Twenty callers at once: every one gets the answer to its own question, the same as when asked alone."""

from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor

from support import EVALS_DIR

from qa.answer import answer
from qa.config import Settings
from qa.eval.metrics import load_questions


def test_twenty_concurrent_callers_get_their_own_answers(seed_settings: Settings) -> None:
    questions = load_questions(EVALS_DIR / "questions.jsonl")[:30]
    alone = {q.id: answer(q.question, history=q.history, settings=seed_settings) for q in questions}

    def caller(seed: int) -> list[tuple[str, str, str]]:
        order = random.Random(seed).sample(questions, k=8)
        return [(q.id, q.question, answer(q.question, history=q.history, settings=seed_settings).text) for q in order]

    with ThreadPoolExecutor(max_workers=20) as pool:
        results = [item for batch in pool.map(caller, range(20)) for item in batch]

    assert len(results) == 160
    for qid, _question, text in results:
        assert text == alone[qid].text, qid
