"""Measure the extractor against the gold stories in data/eval/.

Matching. A predicted quote matches a gold quote of the same story when the
token overlap of their texts is at least 0.5, where tokens are the ``\\w+``
words of ``normalize(text)`` counted as multisets and

    overlap = |pred ∩ gold| / max(|pred|, |gold|)

(symmetric: a prediction that swallows a whole paragraph does not match a
short gold quote, nor the reverse). Pairs are matched one-to-one, greedily,
best overlap first.

Speaker accuracy is computed over matched pairs. The speaker is right when the
normalised predicted name equals the normalised gold name (tokens, a leading
English "the" dropped) — so «الحداد» for «سامر الحداد» is wrong: short names
and continuations count only when resolved. An unnamed source has no name to
resolve, so for gold speakers of kind ``unnamed_group`` the predicted kind must
be ``unnamed_group`` and the wording is not compared.

    python -m app.pipeline.evaluate            # table
    python -m app.pipeline.evaluate --bench    # + throughput on ~800-word stories
    python -m app.pipeline.evaluate --passes 5 # only extract the bench stories 5 times (for valgrind)

Throughput is stories per second of the process's CPU time (time.process_time),
which is what "on one core" means: on a shared machine the wall clock also
counts the time other processes hold the core. The wall-clock rate is printed
beside it.
"""

from __future__ import annotations

import argparse
import json
import re
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.pipeline.extract import ExtractedQuote, KnownEntity, extract_quotes
from app.pipeline.normalize import normalize

EVAL_DIR = Path(__file__).parent / "data" / "eval"
MATCH_THRESHOLD = 0.5
_WORD = re.compile(r"\w+")


@dataclass
class PatternScore:
    gold: int = 0
    found: int = 0
    speaker_ok: int = 0


@dataclass
class EvalReport:
    precision: float
    recall: float
    f1: float
    speaker_accuracy: float
    kind_accuracy: float
    gold: int
    predicted: int
    matched: int
    speaker_correct: int
    false_positive_not_quotes: int
    per_pattern: dict[str, PatternScore] = field(default_factory=dict)
    per_language: dict[str, tuple[float, float]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


def tokens(text: str) -> Counter[str]:
    return Counter(_WORD.findall(normalize(text)))


def overlap(a: Counter[str], b: Counter[str]) -> float:
    if not a or not b:
        return 0.0
    shared = sum((a & b).values())
    return shared / max(sum(a.values()), sum(b.values()))


def name_key(name: str) -> tuple[str, ...]:
    words = _WORD.findall(normalize(name))
    if words and words[0] == "the":
        words = words[1:]
    return tuple(words)


def speaker_correct(gold: dict[str, Any], pred: ExtractedQuote) -> bool:
    sp = pred.speaker
    if sp is None:
        return False
    if gold["kind"] == "unnamed_group":
        return sp.kind == "unnamed_group"
    return name_key(gold["name"]) == name_key(sp.name)


def load(paths: Sequence[Path] | None = None) -> list[dict[str, Any]]:
    files = sorted(paths) if paths is not None else sorted(EVAL_DIR.glob("*.json"))
    return [json.loads(p.read_text(encoding="utf-8")) for p in files]


def match(gold: Sequence[str], predicted: Sequence[str]) -> dict[int, int]:
    """Gold index -> predicted index, one-to-one, greedily by best overlap."""
    gtoks = [tokens(g) for g in gold]
    ptoks = [tokens(p) for p in predicted]
    pairs = sorted(
        (
            (ov, gi, pi)
            for gi, gt in enumerate(gtoks)
            for pi, pt in enumerate(ptoks)
            if (ov := overlap(gt, pt)) >= MATCH_THRESHOLD
        ),
        reverse=True,
    )
    g_used: dict[int, int] = {}
    p_used: set[int] = set()
    for _, gi, pi in pairs:
        if gi not in g_used and pi not in p_used:
            g_used[gi] = pi
            p_used.add(pi)
    return g_used


def _known(doc: dict[str, Any]) -> list[KnownEntity]:
    return [
        KnownEntity(k["name"], k["kind"], tuple(k.get("aliases", ())), k.get("title")) for k in doc.get("known", ())
    ]


def evaluate(paths: Sequence[Path] | None = None) -> EvalReport:
    docs = load(paths)
    n_gold = n_pred = n_match = n_spk = n_kind = n_neg = 0
    per: dict[str, PatternScore] = {}
    lang_counts: dict[str, list[int]] = {}
    errors: list[str] = []
    for doc in docs:
        preds = extract_quotes(doc["paragraphs"], doc["language"], _known(doc))
        gold = doc["quotes"]
        ptoks = [tokens(p.text) for p in preds]
        g_used = match([g["text"] for g in gold], [p.text for p in preds])
        p_used = set(g_used.values())
        lc = lang_counts.setdefault(doc["language"], [0, 0, 0, 0])
        lc[0] += len(gold)
        lc[1] += len(preds)
        for gi, g in enumerate(gold):
            ps = per.setdefault(g["pattern"], PatternScore())
            ps.gold += 1
            if gi not in g_used:
                errors.append(f"{doc['id']} MISS [{g['pattern']}] {g['text'][:70]}")
                continue
            pred = preds[g_used[gi]]
            ps.found += 1
            lc[2] += 1
            if pred.kind == g["kind"]:
                n_kind += 1
            if speaker_correct(g["speaker"], pred):
                ps.speaker_ok += 1
                n_spk += 1
                lc[3] += 1
            else:
                got = f"{pred.speaker.name} ({pred.speaker.kind})" if pred.speaker else None
                errors.append(
                    f"{doc['id']} SPEAKER [{g['pattern']}] gold={g['speaker']['name']} got={got}"
                    f" mention={pred.mention!r}"
                )
        for pi, p in enumerate(preds):
            if pi not in p_used:
                errors.append(f"{doc['id']} EXTRA p{p.paragraph} {p.text[:70]!r}")
                if any(overlap(tokens(nq), ptoks[pi]) >= MATCH_THRESHOLD for nq in doc.get("not_quotes", ())):
                    n_neg += 1
        n_gold += len(gold)
        n_pred += len(preds)
        n_match += len(g_used)
    precision = n_match / n_pred if n_pred else 0.0
    recall = n_match / n_gold if n_gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    per_lang = {}
    for lang, (lg, lp, lm, ls) in lang_counts.items():
        pr, rc = (lm / lp if lp else 0.0), (lm / lg if lg else 0.0)
        per_lang[lang] = (2 * pr * rc / (pr + rc) if pr + rc else 0.0, ls / lm if lm else 0.0)
    return EvalReport(
        precision=precision,
        recall=recall,
        f1=f1,
        speaker_accuracy=n_spk / n_match if n_match else 0.0,
        kind_accuracy=n_kind / n_match if n_match else 0.0,
        gold=n_gold,
        predicted=n_pred,
        matched=n_match,
        speaker_correct=n_spk,
        false_positive_not_quotes=n_neg,
        per_pattern=dict(sorted(per.items())),
        per_language=per_lang,
        errors=errors,
    )


def bench_stories() -> list[tuple[list[str], str, list[KnownEntity]]]:
    """~800-word stories built by concatenating eval stories, with their catalogues."""
    docs = load()
    stories: list[tuple[list[str], str, list[KnownEntity]]] = []
    for lang in ("ar", "en"):
        pool = [d for d in docs if d["language"] == lang]
        paras: list[str] = []
        for d in pool * 4:
            paras.extend(d["paragraphs"])
            if sum(len(x.split()) for x in paras) >= 800:
                stories.append((paras, lang, _known(d)))
                paras = []
    return stories


def bench(seconds: float = 2.0) -> tuple[float, float, float]:
    """Stories per second of CPU time and of wall-clock time, and the mean story length in words,
    on the bench stories; runs for ``seconds`` of CPU time."""
    stories = bench_stories()
    words = sum(sum(len(x.split()) for x in s[0]) for s in stories) / len(stories)
    n = 0
    c0, w0 = time.process_time(), time.perf_counter()
    while time.process_time() - c0 < seconds:
        for paras, lang, known in stories:
            extract_quotes(paras, lang, known)
            n += 1
    return n / (time.process_time() - c0), n / (time.perf_counter() - w0), words


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m app.pipeline.evaluate", description=__doc__.split("\n")[0])
    ap.add_argument("paths", nargs="*", type=Path, help="gold files (default: data/eval/*.json)")
    ap.add_argument(
        "--bench", action="store_true", help="also measure throughput (stories per second of CPU time, one core)"
    )
    ap.add_argument("--errors", action="store_true", help="list misses, extras and wrong speakers")
    ap.add_argument(
        "--passes",
        type=int,
        metavar="N",
        help="only extract every bench story N times, untimed (for valgrind: the difference between two"
        " values of N, divided by the stories per pass, is the cost of a story without start-up)",
    )
    args = ap.parse_args(argv)
    if args.passes is not None:
        stories = bench_stories()
        for _ in range(args.passes):
            for paras, lang, known in stories:
                extract_quotes(paras, lang, known)
        print(f"{len(stories)} stories per pass")
        return 0
    r = evaluate(args.paths or None)
    print(f"gold {r.gold}  predicted {r.predicted}  matched {r.matched}")
    print(f"precision {r.precision:.3f}  recall {r.recall:.3f}  F1 {r.f1:.3f}")
    print(f"speaker accuracy {r.speaker_accuracy:.3f}  kind accuracy {r.kind_accuracy:.3f}")
    print(f"scare quotes / names extracted as quotes: {r.false_positive_not_quotes}")
    for lang, (f1, sa) in sorted(r.per_language.items()):
        print(f"  {lang}: F1 {f1:.3f}  speaker {sa:.3f}")
    print(f"\n{'pattern':<22}{'gold':>5}{'found':>7}{'speaker':>9}")
    for name, ps in r.per_pattern.items():
        print(f"{name:<22}{ps.gold:>5}{ps.found:>7}{ps.speaker_ok:>9}")
    if args.errors:
        print()
        print("\n".join(r.errors))
    if args.bench:
        rate, wall_rate, words = bench()
        print(
            f"\nthroughput {rate:.0f} stories/s (one core, CPU time; {wall_rate:.0f}/s by the wall clock;"
            f" ~{words:.0f}-word stories)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
