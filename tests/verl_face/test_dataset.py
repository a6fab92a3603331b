"""The adapter's parquet through verl 0.9.1's own data path, on CPU with the tiny processors.

- ``RLHFDataset`` loads it (with its over-long-prompt filter), and verl's rollout-side processing of a row
  (``RLHFDataset._process_multi_modal_info`` = qwen-vl-utils, then the Continuous Token builder verl's agent
  loop uses) gives the protocol's grids and fits ``data.max_prompt_length``;
- THE CENTRAL PROMISE: for every validation row, the input ids, pixel values and grids verl builds from the
  parquet equal those the evaluation face builds (``seedbench_r1.protocol.qwen_inputs``, which the lmms-eval model class
  calls) from the core's decoded frames and image;
- ``MultiTurnSFTDataset`` loads the SFT parquet; only assistant tokens carry loss.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from seedbench_r1.fixtures.seedbench import CLIPS
from seedbench_r1.protocol.annotations import load_split
from verl_recipe.rl_parquet import prepare_rl
from verl_recipe.sft_parquet import prepare_sft

LONG_CLIP = "ek_long_25fps.mp4"  # 9.6 s -> 16 frames


@pytest.fixture(scope="module", autouse=True)
def decord_reader():
    """What the recipe's Ray runtime_env does in every worker (FORCE_QWENVL_VIDEO_READER=decord): qwen-vl-utils
    reads the variable once at import, so the module attribute is set here."""
    from qwen_vl_utils import vision_process

    mp = pytest.MonkeyPatch()
    mp.setattr(vision_process, "FORCE_QWENVL_VIDEO_READER", "decord")
    vision_process.get_video_reader_backend.cache_clear()
    assert vision_process.get_video_reader_backend() == "decord"
    yield
    mp.undo()
    vision_process.get_video_reader_backend.cache_clear()


@pytest.fixture(scope="module")
def parquet_dir(fixture_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("verl_parquet")
    prepare_rl(fixture_root, "validation_L1", out / "validation_L1.parquet", progress=False)
    prepare_rl(fixture_root, "validation_L3", out / "validation_L3.parquet", progress=False)
    prepare_sft(fixture_root, "training_with_cot_6k", out / "cot.parquet", progress=False)
    return out


def _max_prompt_length() -> int:
    from hydra import compose, initialize_config_dir

    from verl_recipe import recipe_dir

    with initialize_config_dir(config_dir=str(recipe_dir()), version_base=None):
        return int(compose(config_name="seedbench_r1_grpo").data.max_prompt_length)


def _rl_dataset(files: list[Path], model: Path, max_prompt_length: int, tmp: Path):
    from omegaconf import OmegaConf
    from transformers import AutoProcessor
    from verl.utils.dataset.rl_dataset import RLHFDataset

    processor = AutoProcessor.from_pretrained(model)
    config = OmegaConf.create(
        {
            "max_prompt_length": max_prompt_length,
            "filter_overlong_prompts": True,
            "filter_overlong_prompts_workers": None,  # in-process: no fork under pytest
            "cache_dir": str(tmp / "verl_cache"),
            "image_key": "images",
            "video_key": "videos",
            "prompt_key": "prompt",
        }
    )
    return RLHFDataset([str(f) for f in files], processor.tokenizer, config, processor=processor), processor


def _verl_inputs(dataset, processor, model_type: str, i: int) -> tuple[dict, list[int], dict]:
    """verl's rollout-side inputs of row ``i``: the agent loop's calls, in its order."""
    from verl.utils.dataset.rl_dataset import RLHFDataset
    from verl.utils.tokenizer.continuous_token_wiring import create_continuous_token_builder

    row = dataset[i]
    messages = row["raw_prompt"]
    images, videos, _ = RLHFDataset._process_multi_modal_info(messages, 14, dataset.config)
    builder = create_continuous_token_builder(
        processor.tokenizer, hf_model_type=model_type, processor=processor
    )
    mm: dict = {}
    ids = builder.build_initial_tokens(messages, images=images, videos=videos, mm_inputs_out=mm)
    return row, ids, mm


def test_rlhf_dataset_loads_and_grids_match_protocol(
    parquet_dir: Path, tiny_qwen2_vl: Path, fixture_root: Path, tmp_path: Path
) -> None:
    limit = _max_prompt_length()
    files = [parquet_dir / "validation_L1.parquet", parquet_dir / "validation_L3.parquet"]
    dataset, processor = _rl_dataset(files, tiny_qwen2_vl, limit, tmp_path)
    n_rows = len(load_split(fixture_root, "validation_L1")) + len(load_split(fixture_root, "validation_L3"))
    assert len(dataset) == n_rows  # nothing filtered as over-long, both levels concatenated
    row0 = dataset[0]
    assert row0["data_source"] == "seedbench_r1_l1" and row0["reward_model"]["ground_truth"] in "ABCD"
    assert dataset[n_rows - 1]["data_source"] == "seedbench_r1_l3"

    frames_of = {c.name: c for c in CLIPS}
    seen_long = seen_image_only = False
    for i in range(len(dataset)):
        row, ids, mm = _verl_inputs(dataset, processor, "qwen2_vl", i)
        assert len(ids) <= limit
        assert mm["image_grid_thw"].tolist() == [[1, 18, 18]]
        if not row["extra_info"]["has_video"]:
            assert "video_grid_thw" not in mm
            seen_image_only = True
            continue
        content = row["raw_prompt"][0]["content"]
        assert [c["type"] for c in content] == ["video", "image", "text"]
        name = Path(content[0]["video"]).name
        if name == LONG_CLIP:
            assert frames_of[name].seconds >= 8
            assert mm["video_grid_thw"].tolist() == [[8, 18, 18]]
            seen_long = True
    assert seen_long and seen_image_only


@pytest.mark.parametrize(
    ("model_fixture", "model_type"), [("tiny_qwen2_vl", "qwen2_vl"), ("tiny_qwen2_5_vl", "qwen2_5_vl")]
)
def test_same_inputs_as_the_evaluation_face(
    parquet_dir: Path,
    fixture_root: Path,
    tmp_path: Path,
    request: pytest.FixtureRequest,
    model_fixture: str,
    model_type: str,
) -> None:
    """The central promise: one protocol for training and evaluation, checked on every L1 row. The evaluation
    side is the lmms-eval face itself: the task's docs, ``doc_to_visual`` / ``doc_to_text``, then what the
    project's model class (``lmms_eval_tasks/models/seedbench_r1_qwen_vl.py``) calls: ``prompt_from_visuals`` and
    ``processor_inputs``."""
    from lmms_eval_tasks.seedbench_r1_levels.utils import doc_to_text, doc_to_visual, load_docs
    from seedbench_r1.protocol.qwen_inputs import processor_inputs, prompt_from_visuals

    model = request.getfixturevalue(model_fixture)
    dataset, processor = _rl_dataset([parquet_dir / "validation_L1.parquet"], model, 4096, tmp_path)
    docs = {str(d["sample_id"]): d for d in load_docs("validation_L1", fixture_root)}
    assert len(dataset) == len(docs)
    for i in range(len(dataset)):
        row, ids, mm = _verl_inputs(dataset, processor, model_type, i)
        doc = docs[row["extra_info"]["sample_id"]]
        ref = processor_inputs(processor, [prompt_from_visuals(doc_to_visual(doc), doc_to_text(doc))])
        assert ids == ref["input_ids"][0].tolist(), doc["key"]
        keys = {
            "pixel_values",
            "image_grid_thw",
            "pixel_values_videos",
            "video_grid_thw",
            "second_per_grid_ts",
        }
        built = {k for k in mm if k in keys}
        assert built == {k for k in ref if k in keys}, doc["key"]
        assert ("pixel_values_videos" in built) is doc["has_video"]
        for key in built:
            assert torch.equal(torch.as_tensor(mm[key]), torch.as_tensor(ref[key])), (doc["key"], key)


def test_sft_dataset_loads_and_masks_all_but_assistant(
    parquet_dir: Path, tiny_qwen2_vl: Path, fixture_root: Path
) -> None:
    from omegaconf import OmegaConf
    from transformers import AutoProcessor
    from verl.utils.dataset.multiturn_sft_dataset import MultiTurnSFTDataset

    processor = AutoProcessor.from_pretrained(tiny_qwen2_vl)
    config = OmegaConf.create({"max_length": 2048, "truncation": "error", "pad_mode": "no_padding"})
    dataset = MultiTurnSFTDataset(
        str(parquet_dir / "cot.parquet"), processor.tokenizer, config, processor=processor
    )
    cot = load_split(fixture_root, "training_with_cot_6k").records
    assert len(dataset) == len(cot)
    tok = processor.tokenizer
    for i in (0, len(dataset) - 1):
        item = dataset[i]
        mask = item["loss_mask"].bool()
        assert mask.any() and not mask.all()
        # Exactly the assistant turn (the CoT target and its end token) carries loss.
        assert tok.decode(item["input_ids"][mask]) == cot[i].response + "<|im_end|>\n"
        assert cot[i].response not in tok.decode(item["input_ids"][~mask])
        assert item["multi_modal_inputs"]["image_grid_thw"].tolist() == [[1, 18, 18]]
        has_video = any(kind == "video" for kind, _ in cot[i].media)
        assert ("video_grid_thw" in item["multi_modal_inputs"]) is has_video


def test_recipe_dataset_class_resolves_through_verl() -> None:
    from hydra import compose, initialize_config_dir
    from verl.utils.dataset.rl_dataset import RLHFDataset, get_dataset_class

    from verl_recipe import recipe_dir
    from verl_recipe.dataset import SeedBenchRLHFDataset

    with initialize_config_dir(config_dir=str(recipe_dir()), version_base=None):
        cfg = compose(config_name="seedbench_r1_grpo")
    cls = get_dataset_class(cfg.data)
    assert cls is SeedBenchRLHFDataset and issubclass(cls, RLHFDataset)


def test_frame_cache_rows_give_the_same_inputs(
    fixture_root: Path, tiny_qwen2_5_vl: Path, tmp_path: Path
) -> None:
    """Rows naming cached frames (``--frame-cache``) give verl the same inputs as decoding the clips, through
    the recipe's dataset class; plain qwen-vl-utils would resample them (checked, so the class is needed)."""
    from transformers import AutoProcessor
    from verl.utils.dataset.rl_dataset import RLHFDataset
    from verl.utils.tokenizer.continuous_token_wiring import create_continuous_token_builder

    from seedbench_r1.data.extract_frames import extract_frames
    from seedbench_r1.protocol.qwen_inputs import processor_inputs, prompt_from_sample
    from verl_recipe.dataset import SeedBenchRLHFDataset

    cache = tmp_path / "frames"
    summary = extract_frames(fixture_root, ["validation_L1"], cache, workers=1, progress=False)
    assert summary.ok
    out = tmp_path / "l1_cached.parquet"
    prepare_rl(fixture_root, "validation_L1", out, frame_cache=cache, progress=False)
    processor = AutoProcessor.from_pretrained(tiny_qwen2_5_vl)
    builder = create_continuous_token_builder(
        processor.tokenizer, hf_model_type="qwen2_5_vl", processor=processor
    )
    samples = {str(s.sample_id): s for s in load_split(fixture_root, "validation_L1")}
    from omegaconf import OmegaConf

    config = OmegaConf.create({"max_prompt_length": 4096, "filter_overlong_prompts": False})
    dataset = SeedBenchRLHFDataset(str(out), processor.tokenizer, config, processor=processor)
    checked = 0
    for i in range(len(dataset)):
        row = dataset[i]
        sample = samples[row["extra_info"]["sample_id"]]
        if not sample.has_video:
            continue
        messages = row["raw_prompt"]
        assert isinstance(messages[0]["content"][0]["video"], list)  # the row names cached frames
        images, videos, _ = SeedBenchRLHFDataset._process_multi_modal_info(messages, 14, config)
        mm: dict = {}
        ids = builder.build_initial_tokens(messages, images=images, videos=videos, mm_inputs_out=mm)
        ref = processor_inputs(processor, [prompt_from_sample(sample, fixture_root)])
        assert ids == ref["input_ids"][0].tolist()
        for key in (
            "pixel_values",
            "pixel_values_videos",
            "video_grid_thw",
            "image_grid_thw",
            "second_per_grid_ts",
        ):
            assert torch.equal(torch.as_tensor(mm[key]), torch.as_tensor(ref[key])), (sample.key, key)
        if checked == 0:  # verl's stock path on the same row resamples the frames: the class is needed
            _, plain, _ = RLHFDataset._process_multi_modal_info(messages, 14, config)
            assert plain[0][0].shape == videos[0][0].shape and not torch.equal(plain[0][0], videos[0][0])
        checked += 1
    assert checked >= 3


def test_sft_refuses_frame_cache(fixture_root: Path, tmp_path: Path) -> None:
    from seedbench_r1.protocol.errors import UsageError

    with pytest.raises(UsageError, match="RL rows only"):
        prepare_sft(
            fixture_root, "training_with_cot_6k", tmp_path / "c.parquet", frame_cache=tmp_path, progress=False
        )


def _clip_messages(root: Path, tag: str = "") -> list[dict]:
    from verl_recipe.media import MediaLayout, image_entry, video_entry

    layout = MediaLayout.make(root)
    sample = next(s for s in load_split(root, "validation_L1") if s.has_video)
    return [
        {
            "role": "user",
            "content": [
                {"type": "video", **video_entry(sample.video_relpath, layout)},
                {"type": "image", **image_entry(sample.image_relpath, layout)},
                {"type": "text", "text": f"question {tag}"},
            ],
        }
    ]


def test_one_prompts_rollouts_decode_its_media_once(fixture_root: Path) -> None:
    """verl's agent loop asks for a prompt's media once per rollout, n at a time from its thread pool: the
    recipe's class decodes them once and gives every rollout its own equal copy."""
    from concurrent.futures import ThreadPoolExecutor

    from omegaconf import OmegaConf

    from verl_recipe.dataset import MediaMemo, SeedBenchRLHFDataset

    class Counting(SeedBenchRLHFDataset):
        media_memo = MediaMemo(2)

    config = OmegaConf.create({})
    messages = _clip_messages(fixture_root)
    reference = SeedBenchRLHFDataset._decode_media(messages, 14, config)
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: Counting._process_multi_modal_info(messages, 14, config), range(8)))
    assert Counting.media_memo.computed == 1
    for images, videos, _ in results:
        assert torch.equal(videos[0][0], reference[1][0][0]) and videos[0][1] == reference[1][0][1]
        assert images[0].tobytes() == reference[0][0].tobytes()
    results[0][1][0][0].zero_()  # one rollout altering its frames leaves the others' alone
    results[0][1][0][1]["fps"] = -1
    assert torch.equal(results[1][1][0][0], reference[1][0][0]) and results[1][1][0][1] == reference[1][0][1]
    assert torch.equal(Counting._process_multi_modal_info(messages, 14, config)[1][0][0], reference[1][0][0])
    # Other media (the text does not count), and the memo is bounded: the oldest prompt is decoded again.
    assert Counting._process_multi_modal_info(_clip_messages(fixture_root, "another"), 14, config) is not None
    assert Counting.media_memo.computed == 1
    other = [{"role": "user", "content": [c for c in messages[0]["content"] if c["type"] != "video"]}]
    third = [{"role": "user", "content": [c for c in messages[0]["content"] if c["type"] != "image"]}]
    Counting._process_multi_modal_info(other, 14, config)
    Counting._process_multi_modal_info(third, 14, config)
    assert Counting.media_memo.computed == 3
    Counting._process_multi_modal_info(messages, 14, config)
    assert Counting.media_memo.computed == 4


def test_a_media_failure_is_raised_to_every_waiter_and_not_remembered(tmp_path: Path) -> None:
    from verl_recipe.dataset import MediaMemo

    memo = MediaMemo(4)
    calls = []

    def fail() -> tuple:
        calls.append(1)
        raise FileNotFoundError("clip.mp4")

    for _ in range(2):
        with pytest.raises(FileNotFoundError, match="clip.mp4"):
            memo.get("k", fail)
    assert len(calls) == 2 and memo.computed == 0
