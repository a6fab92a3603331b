"""A tiny model fit briefly on a root's training rows, so that rewards can pay in tests of the real trainers.

A random tiny model never writes ``<think>...</think><answer>X</answer>``: every reward is 0, GRPO's advantages
are 0 and an update changes nothing. A few dozen teacher-forced steps on the training rows (the protocol's
prompt, the seeded options of the verl adapter, a fixed short thought and the gold letter) teach it the format
and leave its letter choice uncertain, so sampled groups mix right and wrong answers. It is a test aid for the
trainer and distillation tests, not a model of anything.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

THOUGHT = "The clip shows the task so far; the observation shows the current state."


def target(gold: str) -> str:
    """The response the model is fit to: the R1 format around a fixed thought and the gold letter."""
    return f"<think>{THOUGHT}</think><answer>{gold}</answer>"


def fit_tiny_model(
    base: str | os.PathLike[str],
    root: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    steps: int = 80,
    lr: float = 3e-3,
    seed: int = 0,
) -> dict[str, Any]:
    """Copy the checkpoint ``base`` to ``out`` and fit it for ``steps`` passes over ``root``'s training rows.

    Returns ``{"rows": n, "first_loss": x, "last_loss": y}``. Deterministic for a given seed on one machine.
    """
    import torch
    from transformers import AutoModelForImageTextToText, AutoProcessor

    from seedbench_r1.annotations import load_split
    from seedbench_r1.qwen_inputs import processor_inputs, prompt_from_sample

    base, out = Path(base), Path(out)
    if out.exists() and any(out.iterdir()):
        raise FileExistsError(f"{out}: not empty; choose a new folder")
    processor = AutoProcessor.from_pretrained(base)
    end = processor.tokenizer.convert_tokens_to_ids("<|im_end|>")
    rows = []
    for row in load_split(root, "training_6k"):
        sample = row.to_sample(seed=0)  # the verl adapter's options and gold letter
        inputs = processor_inputs(processor, [prompt_from_sample(sample, root)])
        answer = processor.tokenizer(target(sample.gold), add_special_tokens=False)["input_ids"] + [end]
        rows.append((inputs, torch.tensor([answer])))
    if not rows:
        raise ValueError(f"{root}: no training rows to fit on")

    torch.manual_seed(seed)
    model = AutoModelForImageTextToText.from_pretrained(base, dtype=torch.float32)
    model.train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.0)
    losses = []
    for _ in range(steps):
        total = 0.0
        for inputs, answer in rows:
            ids = torch.cat([inputs["input_ids"], answer], 1)
            labels = torch.full_like(ids, -100)
            labels[:, -answer.shape[1] :] = answer
            kw = {k: v for k, v in inputs.items() if k not in ("input_ids", "attention_mask")}
            if "mm_token_type_ids" in kw:
                kw["mm_token_type_ids"] = torch.cat([kw["mm_token_type_ids"], torch.zeros_like(answer)], 1)
            loss = model(input_ids=ids, attention_mask=torch.ones_like(ids), labels=labels, **kw).loss
            loss.backward()
            total += float(loss)
        optimizer.step()
        optimizer.zero_grad()
        losses.append(total / len(rows))

    tmp = out.with_name(f".{out.name}.tmp{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.copytree(base, tmp)
    model.eval().save_pretrained(tmp)
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.exists():
        out.rmdir()
    os.replace(tmp, out)
    return {"rows": len(rows), "first_loss": losses[0], "last_loss": losses[-1]}
