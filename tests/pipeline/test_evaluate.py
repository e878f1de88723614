"""The extractor meets its targets on the shipped gold set."""

from collections import Counter

from app.pipeline.evaluate import EVAL_DIR, evaluate, load, main, overlap, tokens


def test_gold_set_is_big_enough_and_well_formed() -> None:
    docs = load()
    assert len(docs) >= 24
    assert sum(d["language"] == "ar" for d in docs) * 3 >= 2 * len(docs)
    quotes = [q for d in docs for q in d["quotes"]]
    assert len(quotes) >= 180
    for q in quotes:
        assert q["kind"] in ("direct", "indirect", "mixed")
        assert q["speaker"]["kind"] in (
            "person",
            "organization",
            "agency",
            "government",
            "place",
            "unnamed_group",
        )
        assert q["pattern"] and q["text"]


def test_targets_met() -> None:
    r = evaluate()
    assert r.f1 >= 0.90
    assert r.speaker_accuracy >= 0.90
    assert r.false_positive_not_quotes == 0


def test_overlap_is_symmetric_and_bounded() -> None:
    a, b = tokens("قال الوزير إن الخطة جاهزة"), tokens("الخطة جاهزة")
    assert overlap(a, b) == overlap(b, a) == 2 / 5
    assert overlap(a, a) == 1.0
    assert overlap(a, Counter()) == 0.0


def test_main_prints_table(capsys) -> None:  # type: ignore[no-untyped-def]
    assert main([str(p) for p in sorted(EVAL_DIR.glob("en-0*.json"))[:2]]) == 0
    out = capsys.readouterr().out
    assert "F1" in out and "speaker accuracy" in out


def test_match_is_one_to_one_best_first() -> None:
    from app.pipeline.evaluate import match, name_key

    gold = ["الخطة جاهزة للتنفيذ", "الميناء مغلق"]
    pred = ["الميناء مغلق حتى الغد", "الخطة جاهزة للتنفيذ"]
    assert match(gold, pred) == {0: 1, 1: 0}
    assert match(gold, ["كلام آخر تماما"]) == {}
    assert name_key("The Harbour Authority") == name_key("harbour authority")


def test_bench_reports_cpu_and_wall_rates() -> None:
    from app.pipeline.evaluate import bench

    rate, wall_rate, words = bench(seconds=0.01)  # one pass over the bench stories at least
    assert rate > 0 and wall_rate > 0
    assert 800 <= words < 1200
