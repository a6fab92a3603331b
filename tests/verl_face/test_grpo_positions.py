"""GRPO training positions: verl's own agent-loop code (``AgentLoopWorker._compute_position_ids``) with the
recipe's worker hooks gives Qwen2.5-VL clips the positions the evaluation gives them; without them it does not.

The hooks patch transformers' Qwen2.5-VL classes, so they are applied here with monkeypatch (undone after each
test) and checked to be what importing ``verl_recipe.worker_hooks`` applies, in a separate interpreter.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch

from seedbench_r1.protocol import rope
from seedbench_r1.protocol.annotations import load_split
from seedbench_r1.protocol.qwen_inputs import processor_inputs, prompt_from_sample


def _agent_loop_positions(model_path: Path, inputs) -> torch.Tensor:  # noqa: ANN001
    """Position ids exactly as verl's agent loop builds them for the FSDP forward: (4, seq)."""
    from verl.experimental.agent_loop.agent_loop import AgentLoopWorker
    from verl.utils.tokenizer import hf_processor

    processor = hf_processor(str(model_path))  # verl binds get_rope_index from the model class here
    mm = {k: v for k, v in inputs.items() if k not in ("input_ids", "attention_mask")}
    worker = SimpleNamespace(processor=processor)
    return AgentLoopWorker._compute_position_ids(worker, inputs["input_ids"], inputs["attention_mask"], mm)[0]


def _eval_positions(model_path: Path, inputs) -> torch.Tensor:  # noqa: ANN001
    from transformers import AutoModelForImageTextToText

    model = rope.install(AutoModelForImageTextToText.from_pretrained(model_path, dtype=torch.float32))
    return rope.model_positions(model, inputs)


@pytest.fixture(scope="module")
def clip_inputs(fixture_root: Path, tiny_qwen2_5_vl: Path) -> list:
    from transformers import AutoProcessor

    processor = AutoProcessor.from_pretrained(tiny_qwen2_5_vl)
    prompts = [prompt_from_sample(s, fixture_root) for s in load_split(fixture_root, "validation_L3")]
    return [processor_inputs(processor, [p]) for p in prompts if p.clip is not None]


def test_agent_loop_positions_equal_the_evaluation_with_the_hooks(
    clip_inputs: list, tiny_qwen2_5_vl: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stock = [_agent_loop_positions(tiny_qwen2_5_vl, i)[1:] for i in clip_inputs]
    for cls, name, value in rope.verl_patches():
        monkeypatch.setattr(cls, name, value, raising=False)
    worst_stock = 0
    for inputs, before in zip(clip_inputs, stock, strict=True):
        reference = _eval_positions(tiny_qwen2_5_vl, inputs)
        after = _agent_loop_positions(tiny_qwen2_5_vl, inputs)
        assert torch.equal(after[1:], reference)
        worst_stock = max(worst_stock, int((before - reference).abs().max()))
    print(f"verl's stock agent-loop positions differ by up to {worst_stock} from the evaluation's")
    assert worst_stock >= 1  # the planted regression (verl's stock position code) is caught


def test_recipes_import_the_hooks_in_workers_and_the_import_applies_them() -> None:
    from hydra import compose, initialize_config_dir

    from verl_recipe import recipe_dir

    with initialize_config_dir(config_dir=str(recipe_dir()), version_base=None):
        for name in ("seedbench_r1_grpo", "seedbench_r1_grpo_qwen2_5_vl", "seedbench_r1_grpo_smoke"):
            cfg = compose(config_name=name).actor_rollout_ref
            assert cfg.model.external_lib == "verl_recipe.worker_hooks"
            assert cfg.rollout.agent.default_agent_loop == "seedbench_r1_agent"
    code = (
        "from verl.utils.import_utils import import_external_libs\n"
        "import_external_libs('verl_recipe.worker_hooks')\n"
        "from seedbench_r1.protocol import rope\n"
        "assert all(getattr(c, n) is v for c, n, v in rope.verl_patches())\n"
        "from verl.experimental.agent_loop.agent_loop import _agent_loop_registry\n"
        "target = _agent_loop_registry['seedbench_r1_agent']['_target_']\n"
        "assert target == 'verl_recipe.agent_loop.SeedBenchAgentLoop', target\n"
        "print('applied')"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0 and out.stdout.strip().endswith("applied"), out.stderr[-2000:]


def test_the_agent_loop_passes_each_clips_metadata_as_verls_training_side_does() -> None:
    """What the recipes' agent loop adds to a vLLM request, from verl's (frames, metadata) videos."""
    from verl_recipe.agent_loop import video_metadata_kwargs

    meta = {"fps": 30.0, "frames_indices": [0, 20, 40], "total_num_frames": 60}
    frames = torch.zeros(3, 3, 28, 28)
    assert video_metadata_kwargs(None) == {} and video_metadata_kwargs([]) == {}
    assert video_metadata_kwargs([(frames, meta)]) == {"video_metadata": [meta], "do_sample_frames": False}
    with pytest.raises(ValueError, match="2 videos but only 1 carry metadata"):
        video_metadata_kwargs([(frames, meta), frames])
