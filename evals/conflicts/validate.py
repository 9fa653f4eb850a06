"""Validate evals/conflicts.jsonl against the articles in evals/conflicts/articles/.

Run from anywhere:  python3 evals/conflicts/validate.py [path/to/file.jsonl]
Exits 1 and lists the problems if any check fails.
"""
import collections
import datetime
import itertools
import json
import pathlib
import re
import sys

HERE = pathlib.Path(__file__).resolve().parent
ARTICLES = HERE / "articles"
JSONL = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else HERE.parent / "conflicts.jsonl"
MINIMUM = {"conflict": 28, "as_of": 6, "timeline": 4, "control": 2}
FRONT_KEYS = {"title", "date", "outlet", "url"}

errors = []


def err(where, msg):
    errors.append(f"{where}: {msg}")


def group_of(doc):
    return re.sub(r"-\d+\.md$", "", doc)


def load_articles():
    arts = {}
    for p in sorted(ARTICLES.glob("*.md")):
        t = p.read_text(encoding="utf-8")
        m = re.match(r"---\n(.*?)\n---\n(.*)", t, re.DOTALL)
        if not m:
            err(p.name, "no YAML front matter")
            continue
        meta = {}
        for line in m.group(1).splitlines():
            k, _, v = line.partition(":")
            meta[k.strip()] = v.strip().strip('"')
        if set(meta) != FRONT_KEYS:
            err(p.name, f"front matter keys {sorted(meta)}")
        if not re.fullmatch(r"[a-z0-9-]+-\d+\.md", p.name):
            err(p.name, "file name is not <story>-<n>.md")
        try:
            datetime.date.fromisoformat(meta.get("date", ""))
        except ValueError:
            err(p.name, f"bad date {meta.get('date')!r}")
        body = m.group(2).strip()
        # dateline: "PLACE, Mon D (Outlet) - "
        dl = re.match(r"[A-Z][A-Z .'-]+, [A-Z][a-z]+\.? \d{1,2} \((.+?)\) - ", body)
        if not dl:
            err(p.name, "body does not open with a dateline")
        elif dl.group(1) != meta.get("outlet"):
            err(p.name, f"dateline outlet {dl.group(1)!r} != front matter {meta.get('outlet')!r}")
        arts[p.name] = {**meta, "body": body}
    return arts


def date_forms(iso):
    d = datetime.date.fromisoformat(iso)
    return [iso, d.strftime("%B ") + str(d.day) + d.strftime(", %Y"), str(d.day) + d.strftime(" %B %Y")]


def main():
    arts = load_articles()
    groups = collections.defaultdict(list)
    for name, a in arts.items():
        groups[group_of(name)].append(name)
    for g, docs in groups.items():
        if not 2 <= len(docs) <= 3:
            err(g, f"{len(docs)} articles (want 2-3)")
        outlets = [arts[d]["outlet"] for d in docs]
        dates = [arts[d]["date"] for d in docs]
        if len(set(outlets)) != len(outlets):
            err(g, f"outlets not distinct: {outlets}")
        if len(set(dates)) != len(dates):
            err(g, f"dates not distinct: {dates}")
        by_num = sorted(docs, key=lambda d: int(re.search(r"-(\d+)\.md$", d).group(1)))
        if [arts[d]["date"] for d in by_num] != sorted(dates):
            err(g, "article numbering does not follow publication order")
    if len(groups) < 12:
        err("articles", f"only {len(groups)} story groups (want >= 12)")

    def rx(where, pattern):
        try:
            return re.compile(pattern, re.IGNORECASE)
        except re.error as e:
            err(where, f"regex {pattern!r} does not compile: {e}")
            return None

    def check_doc(where, doc):
        if doc not in arts:
            err(where, f"doc {doc} does not exist")
            return None
        return arts[doc]

    counts = collections.Counter()
    ids = set()
    lines = JSONL.read_text(encoding="utf-8").splitlines()
    for n, line in enumerate(lines, 1):
        where = f"line {n}"
        try:
            row = json.loads(line)
        except json.JSONDecodeError as e:
            err(where, f"not JSON: {e}")
            continue
        rid, typ = row.get("id"), row.get("type")
        where = f"line {n} ({rid})"
        if rid in ids:
            err(where, "duplicate id")
        ids.add(rid)
        counts[typ] += 1
        if not row.get("question"):
            err(where, "no question")

        if typ in ("conflict", "as_of"):
            vals = row.get("values") or []
            if typ == "conflict" and len(vals) < 2:
                err(where, "conflict needs >= 2 values")
            if typ == "as_of" and len(vals) != 1:
                err(where, "as_of needs exactly 1 value")
            compiled = []
            for v in vals:
                a = check_doc(where, v["doc"])
                r = rx(where, v["pattern"])
                compiled.append(r)
                if not a or not r:
                    continue
                if not r.search(a["body"]):
                    err(where, f"pattern {v['pattern']!r} not found in body of {v['doc']}")
                if not r.search(v["value"]):
                    err(where, f"pattern {v['pattern']!r} does not match its own value {v['value']!r}")
                if v["date"] != a["date"]:
                    err(where, f"date {v['date']} != {v['doc']} date {a['date']}")
                if v["outlet"] != a["outlet"]:
                    err(where, f"outlet {v['outlet']!r} != {v['doc']} outlet {a['outlet']!r}")
                if r.search(row["question"]):
                    err(where, f"pattern {v['pattern']!r} matches the question text")
            docs = [v["doc"] for v in vals]
            if len(set(docs)) != len(docs):
                err(where, "two values from the same article")
            if len({group_of(d) for d in docs}) > 1:
                err(where, "values from different story groups")
            dates = [v["date"] for v in vals]
            if any(a <= b for a, b in itertools.pairwise(dates)):
                err(where, f"values not newest first: {dates}")
            # each pattern must not match any other value's wording, date or outlet
            for i, r in enumerate(compiled):
                for j, o in enumerate(vals):
                    if i == j or r is None:
                        continue
                    for s in [o["value"], o["outlet"], *date_forms(o["date"])]:
                        if r.search(s):
                            err(where, f"pattern {vals[i]['pattern']!r} also matches {s!r} of value {j}")
            if typ == "as_of" and vals:
                asof = row.get("as_of", "")
                try:
                    datetime.date.fromisoformat(asof)
                except ValueError:
                    err(where, f"bad as_of {asof!r}")
                    continue
                g = groups.get(group_of(vals[0]["doc"]), [])
                valid = [d for d in g if arts[d]["date"] <= asof]
                newest = max(valid, key=lambda d: arts[d]["date"]) if valid else None
                if newest != vals[0]["doc"]:
                    err(where, f"as_of {asof}: newest article on or before is {newest}, not {vals[0]['doc']}")
                later = [d for d in g if arts[d]["date"] > asof]
                if not later:
                    err(where, "as_of is after every article of the group (not a real as-of test)")

        elif typ == "timeline":
            ev = row.get("events") or []
            docs = [e["doc"] for e in ev]
            for e in ev:
                a = check_doc(where, e["doc"])
                r = rx(where, e["pattern"])
                if a and r and not r.search(a["body"]):
                    err(where, f"pattern {e['pattern']!r} not found in body of {e['doc']}")
                if a and e["date"] != a["date"]:
                    err(where, f"date {e['date']} != {e['doc']} date {a['date']}")
            dates = [e["date"] for e in ev]
            if any(a >= b for a, b in itertools.pairwise(dates)):
                err(where, f"events not oldest first: {dates}")
            g = group_of(docs[0]) if docs else None
            if sorted(docs) != sorted(groups.get(g, [])):
                err(where, f"events {docs} are not one per article of group {g}")

        elif typ == "control":
            facts, docs = row.get("facts") or [], row.get("docs") or []
            if not facts or not docs:
                err(where, "control needs facts and docs")
            if docs and sorted(docs) != sorted(groups.get(group_of(docs[0]), [])):
                err(where, "control docs are not the whole story group")
            for f in facts:
                r = rx(where, f)
                for d in docs:
                    a = check_doc(where, d)
                    if a and r and not r.search(a["body"]):
                        err(where, f"fact {f!r} not found in {d}")
        else:
            err(where, f"unknown type {typ!r}")

    for typ, need in MINIMUM.items():
        if counts[typ] < need:
            err("counts", f"{counts[typ]} {typ} (want >= {need})")
    if len(lines) < 40:
        err("counts", f"{len(lines)} lines (want >= 40)")

    print(f"{len(arts)} articles in {len(groups)} story groups")
    print(f"{len(lines)} questions: " + ", ".join(f"{k}={counts[k]}" for k in MINIMUM))
    if errors:
        print(f"FAILED: {len(errors)} problem(s)")
        for e in errors:
            print("  " + e)
        sys.exit(1)
    print("OK: all checks passed")


if __name__ == "__main__":
    main()
