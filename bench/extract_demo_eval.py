"""Score the rule-based extractor on the hand-annotated demo corpus.

    python bench/extract_demo_eval.py            # P/R/F1/speaker, overall and per language
    python bench/extract_demo_eval.py --errors   # + every misattributed quote

The demo stories were annotated by other authors than the gold set in
app/pipeline/data/eval, so this is the check that the rules generalise rather
than fit. Matching is the one app.pipeline.evaluate uses (token overlap >= 0.5,
one-to-one, best first). A speaker is right when the predicted name equals the
entity's Arabic name, English name or an alias after normalisation; unnamed
sources have no name to compare, so only the kind must agree. As ``known`` the
extractor gets the corpus's places, agencies, government bodies and
organisations, as the service would from its entity catalogue.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass

from app.demo.load import read_corpus
from app.models import EntityCreate
from app.pipeline.evaluate import match, name_key
from app.pipeline.extract import ExtractedQuote, KnownEntity, extract_quotes

KNOWN_KINDS = ("place", "agency", "government", "organization")


@dataclass
class Tally:
    gold: int = 0
    predicted: int = 0
    matched: int = 0
    speaker_ok: int = 0

    def line(self, label: str) -> str:
        p = self.matched / self.predicted if self.predicted else 0.0
        r = self.matched / self.gold if self.gold else 0.0
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        sa = self.speaker_ok / self.matched if self.matched else 0.0
        return (
            f"{label:<8} P {p:.3f}  R {r:.3f}  F1 {f1:.3f}  speaker {sa:.3f} "
            f"({self.speaker_ok}/{self.matched})  gold {self.gold}  predicted {self.predicted}"
        )


def known_entities(entities: list[EntityCreate]) -> list[KnownEntity]:
    out = []
    for e in entities:
        if e.kind.value not in KNOWN_KINDS:
            continue
        names = [n for n in (e.name_ar, e.name_en) if n]
        if not names:
            continue
        out.append(KnownEntity(names[0], e.kind.value, tuple(names[1:] + list(e.aliases)), e.title))
    return out


def speaker_ok(entity: EntityCreate, pred: ExtractedQuote) -> bool:
    sp = pred.speaker
    if sp is None:
        return False
    if entity.kind.value == "unnamed_group":
        return sp.kind == "unnamed_group"
    names = [n for n in (entity.name_ar, entity.name_en, *entity.aliases) if n]
    return name_key(sp.name) in {name_key(n) for n in names}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--errors", action="store_true", help="list misattributed quotes (and misses/extras)")
    args = ap.parse_args(argv)
    corpus = read_corpus()
    by_key = {e.key: e for e in corpus.entities}
    known = known_entities(corpus.entities)
    total = Tally()
    per_lang: dict[str, Tally] = {}
    errors: list[str] = []
    for art in corpus.articles:
        lang = "ar" if art.language.startswith("ar") else "en"
        preds = extract_quotes(art.paragraphs, art.language, known)
        pairs = match([q.text for q in art.quotes], [p.text for p in preds])
        ok = 0
        for gi, q in enumerate(art.quotes):
            if gi not in pairs:
                errors.append(f"{art.guid} MISS p{q.paragraph} {q.text[:70]!r}")
                continue
            pred = preds[pairs[gi]]
            ent = by_key[q.speaker] if q.speaker else None
            if ent is not None and speaker_ok(ent, pred):
                ok += 1
                continue
            want = (ent.name_ar or ent.name_en, ent.kind.value) if ent else None
            got = (pred.speaker.name, pred.speaker.kind) if pred.speaker else None
            errors.append(
                f"{art.guid} SPEAKER p{q.paragraph} gold={want} got={got} mention={pred.mention!r} "
                f"gold_mention={q.mention!r} cue={q.cue!r} | {q.text[:50]!r}"
            )
        used = set(pairs.values())
        errors += [f"{art.guid} EXTRA p{p.paragraph} {p.text[:70]!r}" for i, p in enumerate(preds) if i not in used]
        for t in (total, per_lang.setdefault(lang, Tally())):
            t.gold += len(art.quotes)
            t.predicted += len(preds)
            t.matched += len(pairs)
            t.speaker_ok += ok
    print(total.line("all"))
    for lang, t in sorted(per_lang.items()):
        print(t.line(lang))
    if args.errors:
        print()
        print("\n".join(errors))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
