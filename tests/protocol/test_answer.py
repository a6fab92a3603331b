"""The answer parser (seedbench_r1.protocol.answer): a table of response -> exact letter or None, per mode; the format
rule; paper mode against an independently written official rule; robustness and linear-time guards."""

from __future__ import annotations

import random
import re
import threading
import time

import pytest

from seedbench_r1.protocol.answer import (
    MAX_ANSWER_CHARS,
    is_well_formatted,
    normalize_gold,
    parse_answer,
    score_response,
)

# sample_rows.jsonl, validation row 115.
OPTS = ["put cereal box into cupboard", "take cereal bag", "open cupboard", "put cereal bag into cereal box"]
T = "<think>The bag was folded, so next I take it.</think>"


def A(x: str) -> str:  # noqa: N802 - reads like the tag in the table
    return f"<answer>{x}</answer>"


# (id, response, strict, eval). strict is the training reward's reading, eval adds the last-line fallback.
CASES: list[tuple[str, str, str | None, str | None]] = [
    # --- honest single-choice forms ---------------------------------------------------------------------
    ("bare", T + A("B"), "B", "B"),
    ("dot", T + A("B."), "B", "B"),
    ("parens", T + A("(B)"), "B", "B"),
    ("close-paren", T + A("B)"), "B", "B"),
    ("colon", T + A("B:"), "B", "B"),
    ("brackets", T + A("[B]"), "B", "B"),
    ("spaces", T + A("  B \n"), "B", "B"),
    ("lower", T + A("b"), "B", "B"),
    ("lower-parens", T + A("(d)"), "D", "D"),
    ("lower-dot-text", T + A("b. take cereal bag"), "B", "B"),
    ("letter-dot-text", T + A("B. take cereal bag"), "B", "B"),
    ("letter-colon-text", T + A("C: open cupboard"), "C", "C"),
    ("parens-text", T + A("(A) put cereal box into cupboard"), "A", "A"),
    ("letter-decides", T + A("B. open cupboard"), "B", "B"),
    ("letter-space-exact-text", T + A("B take cereal bag"), "B", "B"),
    ("option-word", T + A("Option B"), "B", "B"),
    ("option-lower", T + A("option c"), "C", "C"),
    ("choice-word", T + A("Choice: D"), "D", "D"),
    ("answer-is", T + A("The answer is B"), "B", "B"),
    ("answer-is-parens-dot", T + A("The answer is (B)."), "B", "B"),
    ("answer-colon", T + A("Answer: A"), "A", "A"),
    ("correct-answer-text", T + A("The correct answer is: (D) put cereal bag into cereal box."), "D", "D"),
    ("final-answer", T + A("Final answer: C"), "C", "C"),
    ("answer-is-option", T + A("the answer is option c"), "C", "C"),
    ("markdown-bold", T + A("**B**"), "B", "B"),
    ("quoted", T + A('"B"'), "B", "B"),
    ("exact-text", T + A("take cereal bag"), "B", "B"),
    ("exact-text-case-dot", T + A("  Open Cupboard. "), "C", "C"),
    ("answer-is-text", T + A("The answer is put cereal box into cupboard"), "A", "A"),
    ("no-think", A("C"), "C", "C"),
    ("newline-between", T + "\n\n" + A("D"), "D", "D"),
    ("trailing-text", T + A("B") + " I hope this helps.", "B", "B"),
    ("repeated-agreeing", T + A("B") * 50, "B", "B"),
    ("agreeing-forms", T + A("B") + A("(B)") + A("take cereal bag"), "B", "B"),
    # --- think handling -----------------------------------------------------------------------------------
    ("answer-in-think-ignored", "<think>maybe " + A("A") + "</think>" + A("B"), "B", "B"),
    ("only-in-think", "<think>I pick " + A("A") + "</think>", None, None),
    ("only-in-think-then-line", "<think>I pick " + A("A") + "</think>\nAnswer: C", None, "C"),
    ("unclosed-think", "<think>I pick " + A("A"), None, None),
    ("prefilled-think", "the bag is folded</think>" + A("B"), "B", "B"),
    ("prefilled-think-hides-earlier", A("A") + "</think>" + A("B"), "B", "B"),
    ("think-after-answer", A("C") + "<think>" + A("A") + "</think>", "C", "C"),
    ("lmms-eval-stripped", A("D"), "D", "D"),
    # --- no answer: hedges, multiple choices, invalid --------------------------------------------------------
    ("or", T + A("A or B"), None, None),
    ("comma", T + A("A, C"), None, None),
    ("all-letters", T + A("ABCD"), None, None),
    ("spaced-letters", T + A("A B C D"), None, None),
    ("slash", T + A("A/B"), None, None),
    ("and", T + A("A and B"), None, None),
    ("ampersand", T + A("A & B"), None, None),
    ("either", T + A("either A or B"), None, None),
    ("paren-or", T + A("A (or B)"), None, None),
    ("dot-or", T + A("A. or B."), None, None),
    ("newline-two", T + A("A\nB"), None, None),
    ("text-then-other-letter", T + A("B. take cereal bag, not C"), None, None),
    ("double-parens", T + A("(A)(B)"), None, None),
    ("two-blocks-disagree", T + A("A") + A("B"), None, None),
    ("four-blocks", T + "".join(A(x) for x in "ABCD"), None, None),
    ("empty-block-and-letter", T + A("") + A("B"), None, None),
    ("empty", T + A(""), None, None),
    ("whitespace", T + A("   \n "), None, None),
    ("out-of-range", T + A("E"), None, None),
    ("out-of-range-parens", T + A("(E)"), None, None),
    ("digit", T + A("2"), None, None),
    ("all-of-the-above", T + A("All of the above"), None, None),
    ("word-starting-with-letter", T + A("Because the bag"), None, None),
    ("article-a", T + A("A knife is needed"), None, None),
    ("lower-article", T + A("a bag"), None, None),
    ("partial-text", T + A("cereal"), None, None),
    ("two-texts", T + A("take cereal bag or open cupboard"), None, None),
    ("nested-tags", T + "<answer>" + A("A") + "</answer>", None, None),
    ("answer-word-only", T + A("Answer:"), None, None),
    ("upper-case-tag", T + "<ANSWER>B</ANSWER>", None, None),
    ("unclosed-answer", T + "<answer>B", None, None),
    ("too-long", T + A("B. " + "x" * MAX_ANSWER_CHARS), None, None),
    ("template-echo", T + A(" answer here "), None, None),
    # --- no block: strict gives nothing; eval reads only a final bare-choice / answer line ------------------
    ("no-tag-answer-is", "The answer is B", None, "B"),
    ("no-tag-answer-colon-line", T + "\nAnswer: (C)", None, "C"),
    ("no-tag-bare-line", "I think about the bag.\nB", None, "B"),
    ("no-tag-final-answer-text", "Looks done.\nFinal answer: D. put cereal bag into cereal box", None, "D"),
    ("no-tag-bare-line-with-text", "I think about it.\nB. take cereal bag", None, None),
    ("no-tag-letter-mid-text", "A is wrong and B is right, so I would open it", None, None),
    ("no-tag-answer-mid-line", "I think it's A. Final answer: B", None, None),
    ("no-tag-answer-not-last", "Answer: B\nbut maybe not", None, None),
    ("no-tag-hedge-line", "Answer: A or B", None, None),
    ("no-tag-option-line", "Option B", None, None),
    ("empty-response", "", None, None),
]


@pytest.mark.parametrize(("case", "response", "strict", "evalm"), CASES, ids=[c[0] for c in CASES])
def test_table(case: str, response: str, strict: str | None, evalm: str | None) -> None:
    assert parse_answer(response, OPTS) == strict
    assert parse_answer(response, OPTS, mode="strict") == strict
    assert parse_answer(response, OPTS, mode="eval") == evalm


def test_table_size_and_coverage() -> None:
    assert len(CASES) >= 60
    assert len({c[0] for c in CASES}) == len(CASES)
    assert sum(c[2] is None for c in CASES) >= 30  # plenty of no-answer / hacking cases


def test_without_options_text_answers_are_no_answer() -> None:
    assert parse_answer(T + A("take cereal bag")) is None
    assert parse_answer(T + A("B take cereal bag")) is None  # space-separated tail needs the option texts
    assert parse_answer(T + A("B. take cereal bag")) == "B"


def test_duplicate_option_texts_are_ambiguous() -> None:
    assert parse_answer(A("open cupboard"), ["open cupboard", "x", "Open cupboard.", "y"]) is None


def test_fewer_options_narrow_the_letter_range() -> None:
    assert parse_answer(A("C"), ["a", "b", "c"]) == "C"
    assert parse_answer(A("D"), ["a", "b", "c"]) is None


# ---- paper mode vs an independently written official rule -----------------------------------------------


def official_first_char(response: str, gold: str) -> float:
    """The official SEED-Bench-R1 string check, written from its description: the first <answer>...</answer>
    (regex, DOTALL), stripped, compared on its first character with the gold's first character."""
    found = re.search(r"<answer>(.*?)</answer>", response, re.DOTALL)
    if not found:
        return 0.0
    text = found.group(1).strip()
    return 1.0 if text and text[0] == gold[0] else 0.0


PAPER_EXTRA = [
    A("A or B"),
    A("ABCD"),
    A("b"),
    A("(B)"),
    A(" D. open"),
    "<think>" + A("A") + "</think>" + A("B"),
    A("") + A("C"),
    "<answer>C",
    "no tags at all B",
    A("E"),
]


@pytest.mark.parametrize("response", [c[1] for c in CASES] + PAPER_EXTRA)
def test_paper_mode_matches_official_rule(response: str) -> None:
    for gold in "ABCD":
        official = official_first_char(response, gold)
        assert score_response(response, gold, mode="paper")["acc"] == official, gold
        assert score_response(response, f"<answer>{gold}.</answer>", mode="paper")["acc"] == official


def test_paper_mode_reproduces_the_official_holes() -> None:
    assert parse_answer(A("A or B"), mode="paper") == "A"  # the reward-hacking hole
    assert parse_answer(A("(B)"), mode="paper") is None  # an honest answer scored wrong
    assert parse_answer("<think>" + A("C") + "</think>", mode="paper") == "C"  # reads inside think


def test_paper_mode_fuzz_agrees_with_official_rule() -> None:
    rng = random.Random(0)
    atoms = ["<answer>", "</answer>", "<think>", "</think>", "A", "b", "(C)", " ", "\n", "or", "D.", "x", ""]
    for _ in range(3000):
        response = "".join(rng.choice(atoms) for _ in range(rng.randint(0, 12)))
        for gold in "ABCD":
            assert score_response(response, gold, mode="paper")["acc"] == official_first_char(response, gold)


# ---- format rule ------------------------------------------------------------------------------------------

FORMAT_CASES = [
    ("<think>r</think><answer>B</answer>", True),
    ("  \n<think>r</think>\n\n<answer>B</answer>\n", True),
    ("<think></think><answer></answer>", True),  # structure only; the empty answer earns no acc
    ("<think>r</think><answer>B</answer> trailing", False),  # the official regex passed this
    ("<answer>B</answer>", False),
    ("<think>r</think>", False),
    ("prefix <think>r</think><answer>B</answer>", False),
    ("<think>r</think> text <answer>B</answer>", False),
    ("<think>r</think><answer>A</answer><answer>B</answer>", False),
    ("<think>r<think>s</think><answer>B</answer>", False),
    ("<think>r</think></think><answer>B</answer>", False),
    ("<answer>B</answer><think>r</think>", False),
    ("<think>r <answer>A</answer></think><answer>B</answer>", False),
    ("<think>r</think><answer>B", False),
]


@pytest.mark.parametrize(("response", "ok"), FORMAT_CASES)
def test_format_rule(response: str, ok: bool) -> None:
    assert is_well_formatted(response) is ok


# ---- score_response, gold, robustness --------------------------------------------------------------------


def test_score_response_keys_and_weight() -> None:
    good = score_response(T + A("B"), "B", OPTS, format_weight=0.5)
    assert good == {"score": 1.5, "acc": 1, "format": 1, "no_answer": 0, "pred": "B"}
    hedge = score_response(T + A("A or B"), "A", OPTS, format_weight=0.5)
    assert hedge == {"score": 0.5, "acc": 0, "format": 1, "no_answer": 1, "pred": ""}
    wrong = score_response(A("C"), "B")
    assert wrong == {"score": 0.0, "acc": 0, "format": 0, "no_answer": 0, "pred": "C"}
    with pytest.raises(ValueError, match="format_weight"):
        score_response(A("B"), "B", format_weight=float("nan"))


@pytest.mark.parametrize(
    ("gold", "want"), [("B", "B"), (" c ", "C"), ("D.", "D"), ("<answer>A.</answer>", "A")]
)
def test_normalize_gold(gold: str, want: str) -> None:
    assert normalize_gold(gold) == want


@pytest.mark.parametrize("gold", ["E", "", "AB", None, 1, "take cereal bag"])
def test_bad_gold_raises_naming_it(gold: object) -> None:
    with pytest.raises(ValueError, match="ground truth"):
        normalize_gold(gold)


def test_bad_mode_and_options_raise() -> None:
    with pytest.raises(ValueError, match="mode"):
        parse_answer(A("B"), mode="lenient")
    with pytest.raises(ValueError, match="options"):
        parse_answer(A("B"), "ABCD")
    with pytest.raises(ValueError, match="options"):  # five are LongVideoBench's; six are none of ours
        parse_answer(A("B"), ["a", "b", "c", "d", "e", "f"])


@pytest.mark.parametrize("response", [None, 3, 2.5, b"<answer>B</answer>", ["<answer>B</answer>"], object()])
def test_non_str_response_is_no_answer(response: object) -> None:
    for mode in ("strict", "eval", "paper"):
        assert parse_answer(response, OPTS, mode=mode) is None
    assert score_response(response, "B") == {"score": 0.0, "acc": 0, "format": 0, "no_answer": 1, "pred": ""}


def test_random_inputs_never_raise() -> None:
    rng = random.Random(1)
    atoms = [
        "<answer>",
        "</answer>",
        "<think>",
        "</think>",
        "<",
        ">",
        "/",
        "A",
        "b",
        "(",
        ")",
        "[",
        "]",
        ".",
        ":",
        "or",
        ",",
        " ",
        "\n",
        "Answer:",
        "Option",
        "take cereal bag",
        "\x00",
        "é",
        "ß",
        "ﬁ",
        "𝐀",
    ]
    for _ in range(5000):
        response = "".join(rng.choice(atoms) for _ in range(rng.randint(0, 20)))
        for mode in ("strict", "eval", "paper"):
            assert parse_answer(response, OPTS, mode=mode) in (None, "A", "B", "C", "D")


def test_thread_safe_and_pure() -> None:
    responses = [c[1] for c in CASES]
    want = [c[2] for c in CASES]
    errors: list[str] = []

    def work() -> None:
        for _ in range(20):
            got = [parse_answer(r, OPTS) for r in responses]
            if got != want:
                errors.append("mismatch")

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors


# ---- linear time: regression guards with generous bounds (benchmarks/reward_bench.py prints real figures) --

HUGE = [
    ("1MB-free-text", "x " * (1 << 19)),
    ("1MB-inside-answer", "<answer>" + "A or " * 200_000 + "</answer>"),
    ("1MB-spaces-in-answer", "<answer>" + " " * (1 << 20) + "B</answer>"),
    ("100k-open-answer-tags", "<answer>" * 100_000),
    ("100k-answer-blocks", "<answer>B</answer>" * 100_000),
    ("100k-distinct-blocks", "".join(f"<answer>B{'.' * (i % 7)}</answer>" for i in range(100_000))),
    ("100k-think-tags", "<think>" * 100_000 + "</think>" * 100_000 + "<answer>B</answer>"),
    ("100k-think-blocks", "<think>a</think>" * 100_000 + "<answer>C</answer>"),
    ("100k-close-tags", "</answer>" * 100_000 + "<answer>" * 100_000),
    ("1MB-lines", "Answer: B\n" * 100_000),
]


@pytest.mark.parametrize(("name", "response"), HUGE, ids=[h[0] for h in HUGE])
def test_huge_inputs_are_fast(name: str, response: str) -> None:
    for mode in ("strict", "eval", "paper"):
        start = time.perf_counter()
        score_response(response, "B", OPTS, mode=mode)
        assert time.perf_counter() - start < 3.0, (name, mode)


def test_huge_inputs_results() -> None:
    got = {name: parse_answer(r, OPTS, mode="eval") for name, r in HUGE}
    assert got == {
        "1MB-free-text": None,
        "1MB-inside-answer": None,
        "1MB-spaces-in-answer": "B",
        "100k-open-answer-tags": None,
        "100k-answer-blocks": "B",
        "100k-distinct-blocks": "B",
        "100k-think-tags": "B",
        "100k-think-blocks": "C",
        "100k-close-tags": None,
        "1MB-lines": "B",
    }


def test_fast_path_equals_general_path() -> None:
    """The canonical-shape fast path must give what the general scan gives (no '<' in the text -> both run)."""
    from seedbench_r1.protocol import answer

    canon = [c[1] for c in CASES if answer._CANONICAL.fullmatch(c[1])]
    assert len(canon) >= 30
    for r in canon:
        general = answer._answer_blocks_letter(answer._outside_think(r), answer._VALID_ALL, OPTS)[1]
        assert parse_answer(r, OPTS) == general, r
        assert parse_answer(r, mode="paper") == answer._paper_letter(r, answer._VALID_ALL), r


def test_exact_forms_table_equals_general_rules() -> None:
    """Every entry of the exact-forms shortcut is what the general block rules return, with or without the
    option texts; and the shortcut covers the honest forms the benchmark writes."""
    from seedbench_r1.protocol import answer

    assert len(answer._EXACT_FORMS) >= 60
    for content, letter in answer._EXACT_FORMS.items():
        assert content == content.strip() and letter in "ABCD", content
        assert answer._parse_general(content, answer._VALID_ALL, None) == letter, content
        assert answer._parse_general(content, answer._VALID_ALL, OPTS) == letter, content
        assert parse_answer(T + A(content), OPTS) == letter, content
    # With fewer options the table is not consulted: "(D)" is out of range for three options.
    assert parse_answer(T + A("(D)"), OPTS[:3]) is None


def test_canonical_shortcut_equals_canonical_regex() -> None:
    """_canonical (find + a tail regex) matches exactly when _CANONICAL.fullmatch does, with the same group."""
    from seedbench_r1.protocol import answer

    rng = random.Random(7)
    pieces = [
        "<think>",
        "</think>",
        "<answer>",
        "</answer>",
        "<",
        ">",
        " ",
        "\n",
        "\t",
        "B",
        "x y",
        "(C)",
        "",
    ]
    samples = [c[1] for c in CASES] + [
        "".join(rng.choice(pieces) for _ in range(rng.randint(0, 9))) for _ in range(20000)
    ]
    samples += [" " + s for s in samples[:2000]] + [s + "\n " for s in samples[:2000]]
    hits = 0
    for s in samples:
        want, got = answer._CANONICAL.fullmatch(s), answer._canonical(s)
        assert (want is None) == (got is None), repr(s)
        if want is not None:
            hits += 1
            assert want.group(1) == got.group(1), repr(s)
    assert hits >= 100


def test_settings_cache_keeps_checks_and_scores() -> None:
    """Cached (mode, format_weight) validation: bad values still raise after good ones were cached, equal
    numbers of other types score the same, and every call returns a fresh dict (verl may keep or edit it)."""
    r = T + A("B")
    for _ in range(2):  # the second round runs from the caches
        assert score_response(r, "B", OPTS, format_weight=0.5)["score"] == 1.5
        assert score_response(r, "A", OPTS, format_weight=1)["score"] == 1.0
        assert score_response(r, "A", OPTS, format_weight=True)["score"] == 1.0
        assert score_response("B", "B", OPTS, format_weight=0.5)["score"] == 0.0
        assert score_response(r, "B", OPTS, format_weight=-0.0)["score"] == 1.0
        for bad in (float("nan"), float("inf"), "x", [0.5]):
            with pytest.raises((ValueError, TypeError)):
                score_response(r, "B", OPTS, format_weight=bad)
        with pytest.raises(ValueError, match="mode"):
            score_response(r, "B", OPTS, mode="STRICT")
        with pytest.raises(ValueError, match="options"):
            score_response(r, "B", ["a", "b", "c", 4])
    one, two = score_response(r, "B", OPTS), score_response(r, "B", OPTS)
    assert one == two and one is not two
    one["score"] = 99.0
    assert score_response(r, "B", OPTS)["score"] == 1.0


@pytest.mark.parametrize("kind", ["list", "tuple", "generator", "str-subclass"])
def test_options_containers_score_the_same(kind: str) -> None:
    class S(str):
        pass

    make = {
        "list": lambda: list(OPTS),
        "tuple": lambda: tuple(OPTS),
        "generator": lambda: (o for o in OPTS),
        "str-subclass": lambda: [S(o) for o in OPTS],
    }[kind]
    for response in (T + A(OPTS[2]), T + A("B. " + OPTS[0]), T + A("b"), T + A("A or B"), "Answer: C"):
        want = score_response(response, "C", list(OPTS), mode="eval")
        assert score_response(response, "C", make(), mode="eval") == want, response
