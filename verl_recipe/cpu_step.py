"""One GRPO step's data path on CPU, through verl's own pieces, with a small HF model in place of vLLM.

What a GPU run does per step, minus the distributed engines: the recipe is composed by hydra; the parquet is
loaded by the recipe's dataset class (``data.custom_cls``, or verl's ``RLHFDataset``); each prompt's video and
image are processed the way verl's agent loop does (``_process_multi_modal_info`` + verl's token builder);
``n`` responses per prompt are sampled (here by ``transformers.generate``, on GPU hosts by vLLM); verl's reward
loop (naive manager) scores them with the recipe's reward function; verl's GRPO estimator turns the scores into
advantages. It proves the wiring (and shows the token counts) before GPU time is spent; it trains nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from seedbench_r1.protocol.errors import UsageError
from verl_recipe.preflight import check_model_dir, check_row_media, read_rl_parquet


@dataclass
class StepResult:
    data_sources: list[str]
    golds: list[str]
    preds: list[str]
    scores: list[float]
    advantages: list[float]
    prompt_tokens: list[int]
    video_grids: list[list[int] | None]
    group: list[int]
    responses: list[str]


def compose_named_recipe(recipe: str, overrides: list[str] | None = None) -> Any:
    """The hydra config of one of the project's recipes; an unknown name is a :class:`UsageError`."""
    from hydra import compose, initialize_config_dir

    from verl_recipe import RECIPES, recipe_dir

    if recipe not in RECIPES:
        raise UsageError(f"--recipe {recipe}: no such recipe; one of {', '.join(RECIPES)}")
    with initialize_config_dir(config_dir=str(recipe_dir()), version_base=None):
        return compose(config_name=recipe, overrides=overrides or [])


def run_cpu_step(
    parquet: str | Path,
    model_path: str | Path,
    *,
    recipe: str = "seedbench_r1_grpo_smoke",
    prompts: int = 4,
    n: int = 4,
    max_new_tokens: int = 32,
    seed: int = 0,
) -> StepResult:
    import numpy as np
    import torch
    from transformers import AutoConfig, AutoModelForImageTextToText, AutoProcessor
    from verl.experimental.reward_loop.reward_loop import RewardLoopWorker
    from verl.trainer.ppo.core_algos import compute_grpo_outcome_advantage
    from verl.trainer.ppo.utils import create_rl_dataset
    from verl.utils.tokenizer.continuous_token_wiring import create_continuous_token_builder

    table = read_rl_parquet(parquet)
    check_model_dir(model_path)
    for index, row in enumerate(table.slice(0, prompts).to_pylist()):
        check_row_media(parquet, index, row)
    cfg = compose_named_recipe(
        recipe,
        [
            f"actor_rollout_ref.model.path={model_path}",
            f"data.train_files=[{parquet}]",
            f"data.val_files=[{parquet}]",
        ],
    )
    processor = AutoProcessor.from_pretrained(model_path)
    tokenizer = processor.tokenizer
    model_type = AutoConfig.from_pretrained(model_path).model_type
    model = AutoModelForImageTextToText.from_pretrained(model_path, dtype=torch.float32).eval()
    dataset = create_rl_dataset([str(parquet)], cfg.data, tokenizer, processor, is_train=True)
    builder = create_continuous_token_builder(tokenizer, hf_model_type=model_type, processor=processor)
    torch.manual_seed(seed)

    rows, prompt_ids, response_ids, groups, grids = [], [], [], [], []
    for i in range(min(prompts, len(dataset))):
        row = dataset[i]
        messages = row["raw_prompt"]
        images, videos, _ = type(dataset)._process_multi_modal_info(messages, 14, dataset.config)
        mm: dict[str, Any] = {}
        ids = builder.build_initial_tokens(messages, images=images, videos=videos, mm_inputs_out=mm)
        grid = mm.get("video_grid_thw")
        grids.append(grid[0].tolist() if grid is not None else None)
        # the builder's pixel tensors and grids (its own ids/attention mask are the prompt we pass below)
        inputs = {
            k: v
            for k, v in mm.items()
            if isinstance(v, torch.Tensor) and k not in ("input_ids", "attention_mask")
        }
        with torch.no_grad():
            out = model.generate(
                input_ids=torch.tensor([ids]),
                attention_mask=torch.ones(1, len(ids), dtype=torch.long),
                **inputs,
                do_sample=True,
                temperature=float(cfg.actor_rollout_ref.rollout.temperature),
                top_p=1.0,
                top_k=0,
                num_return_sequences=n,
                max_new_tokens=max_new_tokens,
                pad_token_id=tokenizer.pad_token_id,
            )
        for seq in out[:, len(ids) :].tolist():
            rows.append(row)
            prompt_ids.append(ids)
            response_ids.append(seq)
            groups.append(i)

    batch = rollout_batch(rows, prompt_ids, response_ids, groups, tokenizer.pad_token_id)
    worker = RewardLoopWorker(cfg)
    outputs = worker.loop.run_until_complete(worker.compute_score_batch(batch))
    scores = [float(o["reward_score"]) for o in outputs]
    extra = [o.get("reward_extra_info", {}) for o in outputs]

    mask = batch.batch["attention_mask"][:, batch.batch["prompts"].shape[1] :]
    rewards = torch.zeros(mask.shape, dtype=torch.float32)
    last = mask.sum(-1) - 1
    rewards[torch.arange(len(scores)), last.clamp(min=0)] = torch.tensor(scores)
    advantages, _ = compute_grpo_outcome_advantage(rewards, mask, np.array(groups, dtype=object))
    return StepResult(
        data_sources=[r["data_source"] for r in rows],
        golds=[r["reward_model"]["ground_truth"] for r in rows],
        preds=[str(e.get("pred", "")) for e in extra],
        scores=scores,
        advantages=[float(a[0]) for a in advantages],
        prompt_tokens=[len(ids) for ids in prompt_ids],
        video_grids=[grids[g] for g in groups],
        group=groups,
        responses=[tokenizer.decode(r, skip_special_tokens=True) for r in response_ids],
    )


def rollout_batch(
    rows: Sequence[dict[str, Any]],
    prompt_ids: Sequence[Sequence[int]],
    response_ids: Sequence[Sequence[int]],
    groups: Sequence[Any],
    pad_id: int,
) -> Any:
    """verl's ``DataProto`` of a rollout, as its rollout hands it to the reward loop: left-padded prompts,
    right-padded responses (trailing ``pad_id`` is padding, not response), each row's ``data_source`` /
    ``reward_model`` / ``extra_info``, and the prompt group of each response as its ``uid``."""
    import numpy as np
    import torch
    from verl import DataProto

    p_len = max(map(len, prompt_ids))
    r_len = max(map(len, response_ids))
    k = len(rows)
    prompts = torch.full((k, p_len), pad_id)
    responses = torch.full((k, r_len), pad_id)
    attention = torch.zeros((k, p_len + r_len), dtype=torch.long)
    for j, (p, r) in enumerate(zip(prompt_ids, response_ids, strict=True)):
        prompts[j, p_len - len(p) :] = torch.tensor(p)
        attention[j, p_len - len(p) : p_len] = 1
        # generate() pads finished sequences with pad_id; those positions are not part of the response
        valid = len(r)
        while valid > 0 and r[valid - 1] == pad_id:
            valid -= 1
        responses[j, :valid] = torch.tensor(r[:valid], dtype=torch.long)
        attention[j, p_len : p_len + valid] = 1
    return DataProto.from_dict(
        tensors={
            "prompts": prompts,
            "responses": responses,
            "input_ids": torch.cat([prompts, responses], dim=1),
            "attention_mask": attention,
        },
        non_tensors={
            "data_source": np.array([r["data_source"] for r in rows], dtype=object),
            "reward_model": np.array([r["reward_model"] for r in rows], dtype=object),
            "extra_info": np.array([r["extra_info"] for r in rows], dtype=object),
            "uid": np.array([str(g) for g in groups], dtype=object),
        },
    )
