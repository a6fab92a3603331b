"""GRPO-CARE's answer span (from token ids, with the fixture's real byte-level BPE tokenizer) and its bonus on
hand-built groups (verl_recipe/care/span.py, verl_recipe/care/bonus.py)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from verl_recipe.care.bonus import batch_bonus, group_bonus
from verl_recipe.care.span import answer_span, span_likelihood


@pytest.fixture(scope="module")
def tokenizer(tiny_qwen2_vl: Path):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(tiny_qwen2_vl)


def _span_text(tokenizer, text: str) -> tuple[list[str], str]:
    ids = tokenizer.encode(text, add_special_tokens=False)
    span = answer_span(ids, lambda i: tokenizer.decode(i, skip_special_tokens=False))
    return [tokenizer.decode([ids[j]]) for j in span], tokenizer.decode(ids[span.start : span.stop])


def test_a_token_merged_across_the_opening_tag_carries_the_answer(tokenizer) -> None:
    """The fixture's tokenizer writes ``<answer>B`` as ``<``, ``answer``, ``>B``: ``>B`` is the span."""
    tokens, _ = _span_text(tokenizer, "<think>x</think><answer>B</answer><|im_end|>")
    assert tokens == [">B"]


def test_a_token_merged_across_the_closing_tag_counts_and_pure_tag_tokens_do_not(tokenizer) -> None:
    tokens, text = _span_text(tokenizer, "<think>x</think><answer> The answer is (C).</answer>")
    assert tokens[0] == " " and tokens[-1] == ".</"  # the lone '>' is tag only; '.' is inside the block
    assert text == " The answer is (C).</"


def test_the_last_complete_block_is_the_span_not_the_first(tokenizer) -> None:
    """The planted fault of reading the first block: two blocks with different letters tell them apart."""
    tokens, _ = _span_text(tokenizer, "<think>x</think><answer>A</answer>\n<answer>D</answer>")
    assert tokens == [">D"]


@pytest.mark.parametrize(
    "text",
    [
        "<think>x</think><answer>A",  # truncated: the block never closes
        "<think>x</think>A",  # no block
        "<think>x</think><answer></answer>",  # an empty block has no content tokens
        "",
    ],
)
def test_no_complete_block_no_span(tokenizer, text: str) -> None:
    assert _span_text(tokenizer, text)[0] == []


def test_a_stray_closing_tag_after_the_block_is_not_part_of_it(tokenizer) -> None:
    """The tiny model writes ``<answer>C</answer>A</answer>``: the block is ``C``, the rest is after it."""
    tokens, _ = _span_text(tokenizer, "<think>x</think><answer>C</answer>A</answer>")
    assert tokens == [">C"]


def test_an_unclosed_last_block_falls_back_to_the_last_complete_one(tokenizer) -> None:
    tokens, _ = _span_text(tokenizer, "<answer>C</answer> then <answer>A")
    assert tokens == [">C"]


def test_span_likelihood_is_the_capped_geometric_mean() -> None:
    assert span_likelihood([math.log(0.5), math.log(0.8)], 0.95) == pytest.approx(math.sqrt(0.4))
    assert span_likelihood([math.log(0.99)], 0.95) == 0.95
    assert span_likelihood([], 0.95) == 0.95  # no span: 1 before the cap, as GRPO-CARE


def test_all_wrong_gets_nothing() -> None:
    assert group_bonus([0, 0, 0, 0], [0.9, 0.2, 0.5, 0.95], bonus_coef=0.5, margin=0.0) == [0.0] * 4


def test_a_lone_correct_sample_always_gets_it() -> None:
    assert group_bonus([0, 1, 0, 0], [0.9, 0.01, 0.5, 0.95], bonus_coef=0.5, margin=0.0) == [0, 0.5, 0, 0]


def test_only_correct_samples_at_or_above_the_eligible_mean_get_it() -> None:
    # eligible: samples 0, 1, 2 (correct); their mean likelihood 0.6; sample 3 is wrong however likely
    bonus = group_bonus([1, 1, 1, 0], [0.9, 0.6, 0.3, 0.95], bonus_coef=0.5, margin=0.0)
    assert bonus == [0.5, 0.5, 0.0, 0.0]


def test_ties_at_the_mean_are_consistent() -> None:
    for n in (2, 3, 5, 7):
        assert group_bonus([1] * n, [0.1 + 1e-9 * 3] * n, bonus_coef=0.5, margin=0.0) == [0.5] * n


def test_the_margin_lets_a_sample_just_below_the_mean_in() -> None:
    acc, lik = [1, 1, 0], [0.80, 0.795, 0.1]  # mean over the eligible 0.7975
    assert group_bonus(acc, lik, bonus_coef=0.5, margin=0.0) == [0.5, 0.0, 0.0]
    assert group_bonus(acc, lik, bonus_coef=0.5, margin=0.01) == [0.5, 0.5, 0.0]


def test_no_answer_block_or_truncated_samples_are_wrong_so_never_eligible() -> None:
    """A response without a complete block scores 0 (strict parser), so its capped likelihood of 1 is harmless."""
    from reward_fns.seedbench_r1 import compute_score

    responses = ["<think>x</think><answer>A</answer>", "<think>x</think><answer>A", "<think>A</think>"]
    acc = [compute_score("seedbench_r1_l1", r, "A")["acc"] for r in responses]
    assert acc == [1, 0, 0]
    assert group_bonus(acc, [0.3, 0.95, 0.95], bonus_coef=0.5, margin=0.0) == [0.5, 0.0, 0.0]


def test_accuracy_above_the_floor_and_the_mean_is_eligible_with_graded_accuracy() -> None:
    # graded accuracy (CARE's rule, for rewards that are not 0/1): mean 0.45; 0.05 is below the 0.1 floor
    assert group_bonus([0.8, 0.5, 0.45, 0.05], [0.5, 0.5, 0.5, 0.9], bonus_coef=0.5, margin=0.0) == [
        0.4,
        0.25,
        0.225,
        0.0,
    ]


def test_groups_are_separate_in_a_batch() -> None:
    bonus = batch_bonus(["a", "b", "a", "b"], [1, 1, 1, 0], [0.9, 0.1, 0.2, 0.9], bonus_coef=0.5, margin=0.0)
    assert bonus == [0.5, 0.5, 0.0, 0.0]


def test_mismatched_lengths_are_refused() -> None:
    with pytest.raises(ValueError, match="2 accuracies for 1 likelihoods"):
        group_bonus([1, 0], [0.5], bonus_coef=0.5, margin=0.0)
