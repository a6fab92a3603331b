"""A miniature SEED-Bench-R1 in the real layout, generated offline for tests and the demo.

``make_fixture(root)`` writes all five annotation files, real H.264 clips and real PNG observation images
(PROTOCOL.md section 1). Clips are few and shared across rows so that generation takes a few seconds; their
shapes, frame rates and lengths cover the cases the frame rule distinguishes (PROTOCOL.md section 2):
a 3-frame clip, clips under 2 s, mid-length clips and clips over 8 s (16 sampled frames). A 1-frame clip
(``videos/EpicKitchens/one_frame.mp4``) is written but used by no row: tests point a row at it to check the
"clip too short" error.

Every frame is visually distinct per index (a colour band encoding the index, a moving block, a per-clip
gradient), so a wrong frame index shows up in a pixel comparison even after lossy H.264 coding.
Annotation bytes depend only on ``seed``; pixel content is fixed.

A fixture is only ever written into a new or empty folder, or (``force``) over a fixture made earlier: each
fixture carries a marker, ``.seedbench_r1/fixture.json`` (format, seed, the files it wrote). A non-empty folder
without it may be a real download, so it is refused before anything is written, ``force`` or not.
"""

from __future__ import annotations

import json
import os
import random
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from seedbench_r1.errors import UsageError
from seedbench_r1.protocol import LETTERS

QUESTION_TEMPLATE = (
    "Considering the progress shown in the video and my current observation shown in the image, "
    "what action should I take next in order to {goal}?"
)
ONE_FRAME_CLIP = "videos/EpicKitchens/one_frame.mp4"
# Written first into every fixture folder; make_fixture writes only where it finds none or (force) this one.
MARKER = ".seedbench_r1/fixture.json"
MARKER_FORMAT = 1
_MADE_BY = "seedbench-r1 make-fixture"


@dataclass(frozen=True)
class ClipSpec:
    """One fixture clip: where it lives and what a decoder must report for it."""

    source: str
    name: str
    width: int
    height: int
    fps: Fraction
    frames: int

    @property
    def relpath(self) -> str:
        return f"videos/{self.source}/{self.name}"

    @property
    def seconds(self) -> float:
        return float(self.frames / self.fps)


NTSC = Fraction(30000, 1001)
CLIPS: tuple[ClipSpec, ...] = (
    # EpicKitchens clips are 456x256 like the real release; Ego4D ones vary in shape.
    ClipSpec("EpicKitchens", "ek_long_25fps.mp4", 456, 256, Fraction(25), 240),  # 9.6 s -> 16 frames
    ClipSpec("EpicKitchens", "ek_mid_2997fps.mp4", 456, 256, NTSC, 120),  # ~4 s -> 8 frames
    ClipSpec("EpicKitchens", "ek_short_30fps.mp4", 456, 256, Fraction(30), 45),  # 1.5 s -> 4 frames
    ClipSpec("EpicKitchens", "three_frames.mp4", 456, 256, Fraction(25), 3),  # < 4 frames -> 2 frames
    ClipSpec("EpicKitchens", "one_frame.mp4", 456, 256, Fraction(25), 1),  # unusable; no row uses it
    ClipSpec("Ego4D", "ego_long_30fps.mp4", 640, 360, Fraction(30), 300),  # 10 s -> 16 frames
    ClipSpec("Ego4D", "ego_mid_2997fps.mp4", 480, 270, NTSC, 180),  # ~6 s -> 12 frames
    ClipSpec("Ego4D", "ego_short_25fps.mp4", 456, 256, Fraction(25), 40),  # 1.6 s -> 4 frames
)
_CLIP = {c.name: c for c in CLIPS}

# Clips annotation rows draw from (round-robin), per source. The 1-frame clip is deliberately absent.
_EK_CLIPS = ("ek_long_25fps.mp4", "ek_mid_2997fps.mp4", "ek_short_30fps.mp4", "three_frames.mp4")
_EGO_CLIPS = ("ego_long_30fps.mp4", "ego_mid_2997fps.mp4", "ego_short_25fps.mp4")
_IMAGE_SHAPES = ((456, 256), (456, 256), (640, 360), (480, 270))


@dataclass(frozen=True)
class _Task:
    goal: str
    progress: tuple[str, ...]
    answer: str
    distractors: tuple[str, ...]
    domain: str = ""
    scenario: str = ""


# Realistic egocentric planning tasks in the style of EgoPlan / EgoPlan-Bench2 (sample_rows.jsonl).
_KITCHEN_TASKS = (
    _Task(
        "store cereal",
        ("take cereal bag", "fold cereal bag", "put cereal bag into cereal box", "close cereal box"),
        "put cereal box into cupboard",
        ("take cereal bag", "open cupboard", "put cereal bag into cereal box", "pour milk"),
    ),
    _Task(
        "cut and peel the onion",
        ("open drawer", "grab knife", "close drawer"),
        "grab onion",
        ("open drawer", "slice onion", "remove peel from onion", "close drawer"),
    ),
    _Task(
        "wash the dishes",
        ("turn on tap", "take sponge", "pour washing liquid on sponge"),
        "scrub plate",
        ("turn off tap", "dry hands", "put plate in cupboard", "open dishwasher"),
    ),
    _Task(
        "make a cup of tea",
        ("fill kettle", "turn on kettle", "take mug"),
        "put tea bag into mug",
        ("pour milk into mug", "stir tea", "throw tea bag", "open fridge"),
    ),
    _Task(
        "fry an egg",
        ("take pan", "put pan on hob", "turn on hob", "pour oil into pan"),
        "crack egg into pan",
        ("flip egg", "take plate", "turn off hob", "put pan in sink"),
    ),
    _Task(
        "prepare a salad",
        ("take lettuce", "wash lettuce", "take knife"),
        "cut lettuce",
        ("put salad in bowl", "take tomato", "pour dressing", "wash knife"),
    ),
    _Task(
        "make a sandwich",
        ("take bread", "open butter", "take knife"),
        "spread butter on bread",
        ("put cheese on bread", "close sandwich", "cut sandwich", "put knife in sink"),
    ),
    _Task(
        "boil pasta",
        ("take pot", "fill pot with water", "put pot on hob"),
        "turn on hob",
        ("pour pasta into pot", "drain pasta", "take colander", "stir pasta"),
    ),
    _Task(
        "clean the worktop",
        ("take cloth", "wet cloth"),
        "wipe worktop",
        ("rinse cloth", "put cloth down", "throw rubbish", "turn off tap"),
    ),
    _Task(
        "put away the groceries",
        ("open fridge", "take milk from bag"),
        "put milk in fridge",
        ("close fridge", "fold bag", "take eggs from bag", "open cupboard"),
    ),
)

_L3_TASKS = (
    _Task(
        "clean the bathroom sink",
        ("take brush", "spray cleaner on sink"),
        "scrub sink",
        ("rinse sink", "put brush down", "open cabinet", "wipe mirror"),
        "Daily life",
        "cleaning",
    ),
    _Task(
        "fold the laundry",
        ("take shirt from basket", "fold shirt"),
        "put shirt on pile",
        ("take towel from basket", "open wardrobe", "iron shirt", "close basket"),
        "Daily life",
        "laundry",
    ),
    _Task(
        "cook rice",
        ("take rice bag", "pour rice into pot", "wash rice"),
        "add water to pot",
        ("turn on stove", "cover pot", "stir rice", "take spoon"),
        "Daily life",
        "cooking",
    ),
    _Task(
        "bake pastry in the oven and set a stopwatch",
        ("open oven", "place oven tray", "close oven", "operate oven", "detach stopwatch"),
        "set stopwatch",
        ("attach stopwatch", "place oven tray", "operate oven", "open oven"),
        "Hobbies",
        "baking",
    ),
    _Task(
        "knit a scarf",
        ("take needles", "take yarn", "cast on stitches"),
        "knit a row",
        ("cut yarn", "tie knot", "put needles down", "take scissors"),
        "Hobbies",
        "knitting",
    ),
    _Task(
        "repot a plant",
        ("take pot", "pour soil into pot", "take plant"),
        "put plant into pot",
        ("water plant", "press soil", "take trowel", "throw old pot"),
        "Hobbies",
        "gardening",
    ),
    _Task(
        "play a card game",
        ("shuffle cards", "deal cards"),
        "pick up cards",
        ("place card on table", "draw card", "put cards down", "shuffle cards"),
        "Recreation",
        "playing cards",
    ),
    _Task(
        "get ready for a bike ride",
        ("take helmet", "put on helmet"),
        "unlock bike",
        ("pump tyre", "ride bike", "fasten helmet strap", "take water bottle"),
        "Recreation",
        "cycling",
    ),
    _Task(
        "play basketball",
        ("pick up ball", "dribble ball"),
        "shoot ball",
        ("pass ball", "catch ball", "tie shoelace", "run to court"),
        "Recreation",
        "basketball",
    ),
    _Task(
        "fix a wooden shelf",
        ("take drill", "insert drill bit", "hold shelf against wall"),
        "drill hole",
        ("insert screw", "take level", "sand shelf", "put drill down"),
        "Work",
        "carpentry",
    ),
    _Task(
        "change the car oil",
        ("open bonnet", "take oil cap off"),
        "pour oil into engine",
        ("close bonnet", "check dipstick", "take funnel", "put oil cap on"),
        "Work",
        "car mechanic",
    ),
    _Task(
        "lay bricks for a wall",
        ("mix mortar", "take trowel", "spread mortar"),
        "place brick",
        ("scrape excess mortar", "take level", "put trowel down", "tap brick"),
        "Work",
        "construction",
    ),
)


# --------------------------------------------------------------------------------------------------- media


def _frame(spec: ClipSpec, clip_no: int, index: int) -> np.ndarray:
    """RGB frame ``index`` of a clip: distinct per clip (gradient hue) and per index (band colour, block)."""
    h, w = spec.height, spec.width
    ys = np.linspace(0, 255, h, dtype=np.float32)[:, None]
    xs = np.linspace(0, 255, w, dtype=np.float32)[None, :]
    img = np.empty((h, w, 3), dtype=np.uint8)
    img[..., 0] = xs.astype(np.uint8)
    img[..., 1] = ys.astype(np.uint8)
    img[..., 2] = (40 * clip_no + 20) % 256
    # Top band: colour is a function of the frame index with large steps between neighbours.
    band = h // 8
    img[:band] = band_colour(index)
    # A white block that moves with the index (position wraps inside the frame below the band).
    size = h // 6
    x = (index * 11) % (w - size)
    y = band + (index * 5) % (h - band - size)
    img[y : y + size, x : x + size] = 255
    return img


def band_colour(index: int) -> tuple[int, int, int]:
    """The RGB colour of frame ``index``'s top band. Distinct for indices 0..511: any two differ by at least
    21 in some channel, far above H.264 (crf 16) and resize noise."""
    return ((index * 53) % 256, (index * 97 + 60 + 128 * (index // 256)) % 256, (index * 29 + 128) % 256)


def frame_index(frame: np.ndarray, total_frames: int) -> int:
    """Which frame of a fixture clip ``frame`` (H, W, 3 uint8, any resolution, e.g. resized to 252 x 252) is.

    Reads the top band's colour and returns the nearest index in ``range(total_frames)``; tests use it to
    check that a decoder or frame cache delivered exactly the protocol's frame indices.
    """
    h = frame.shape[0]
    # Sample the band's interior: its lower edge blurs under chroma subsampling and resizing.
    colour = frame[h // 64 : max(h // 10, h // 64 + 1), 2:-2].reshape(-1, 3).astype(np.float64).mean(axis=0)
    table = np.array([band_colour(i) for i in range(total_frames)], dtype=np.float64)
    return int(np.abs(table - colour).max(axis=1).argmin())


def _atomic_target(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    return path.with_name(f".{path.name}.tmp{os.getpid()}")


def write_clip(path: Path, spec: ClipSpec, clip_no: int) -> None:
    import av  # heavy; imported here so importing the module stays cheap

    tmp = _atomic_target(path)
    try:
        with av.open(str(tmp), mode="w", format="mp4") as container:
            stream = container.add_stream("libx264", rate=spec.fps)
            stream.width, stream.height = spec.width, spec.height
            stream.pix_fmt = "yuv420p"
            # ultrafast: no B-frames (frame counts stay exact); crf 16 keeps the index colours recoverable;
            # one thread so the bitstream does not depend on the machine.
            stream.options = {"preset": "ultrafast", "crf": "16", "threads": "1"}
            for i in range(spec.frames):
                frame = av.VideoFrame.from_ndarray(_frame(spec, clip_no, i), format="rgb24")
                frame.pts = i
                frame.time_base = 1 / spec.fps
                container.mux(stream.encode(frame))
            container.mux(stream.encode(None))
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _write_image(path: Path, key: int, size: tuple[int, int]) -> None:
    from PIL import Image

    w, h = size
    rng = np.random.default_rng(key)
    ys = np.linspace(0, 1, h, dtype=np.float32)[:, None]
    xs = np.linspace(0, 1, w, dtype=np.float32)[None, :]
    c0, c1, c2 = rng.integers(0, 256, size=3)
    img = np.empty((h, w, 3), dtype=np.uint8)
    img[..., 0] = ((c0 + 200 * xs) % 256).astype(np.uint8)
    img[..., 1] = ((c1 + 200 * ys) % 256).astype(np.uint8)
    img[..., 2] = ((c2 + 100 * (xs + ys)) % 256).astype(np.uint8)
    # A few solid rectangles at key-dependent places make images differ in structure, not only hue.
    for _ in range(3):
        rw, rh = int(rng.integers(w // 8, w // 3)), int(rng.integers(h // 8, h // 3))
        x, y = int(rng.integers(0, w - rw)), int(rng.integers(0, h - rh))
        img[y : y + rh, x : x + rw] = rng.integers(0, 256, size=3)
    tmp = _atomic_target(path)
    try:
        Image.fromarray(img, "RGB").save(tmp, format="PNG", compress_level=1)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_text(path: Path, text: str) -> None:
    tmp = _atomic_target(path)
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _write_jsonl(path: Path, rows: Iterable[dict[str, Any]]) -> int:
    tmp = _atomic_target(path)
    n = 0
    try:
        with open(tmp, "w", encoding="utf-8", newline="\n") as fh:
            for row in rows:
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
                n += 1
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return n


# ----------------------------------------------------------------------------------------------- rows


def _render_question(row: dict[str, Any]) -> str:
    # The protocol's prompt lives once, in the core; the CoT rows must carry exactly that text.
    from seedbench_r1.prompt import render_question

    return render_question(row)


def _progress(rng: random.Random, narrations: Iterable[str]) -> tuple[list[dict[str, Any]], int, int]:
    """Narrated segments with increasing frame numbers (in the source video's frame space)."""
    start = rng.randrange(0, 2000)
    first = start
    segments = []
    for text in narrations:
        begin = start + rng.randrange(0, 40)
        stop = begin + rng.randrange(20, 160)
        segments.append({"narration_text": text, "start_frame": begin, "stop_frame": stop})
        start = stop + 1
    return segments, first, start + rng.randrange(10, 80)


def _spread_letters(rng: random.Random, n: int) -> list[str]:
    """Gold letters covering A-D as evenly as possible, in seeded order."""
    letters = [LETTERS[i % 4] for i in range(n)]
    rng.shuffle(letters)
    return letters


def _choices(rng: random.Random, task: _Task, gold: str) -> dict[str, str]:
    others = [d for d in task.distractors if d != task.answer]
    rng.shuffle(others)
    others = others[:3]
    gi = LETTERS.index(gold)
    options = others[:gi] + [task.answer] + others[gi:]
    return {f"choice_{letter.lower()}": text for letter, text in zip(LETTERS, options, strict=True)}


def _validation_row(
    rng: random.Random,
    *,
    sample_id: int | str,
    source: str,
    video_id: str,
    clip: str,
    task: _Task,
    gold: str,
    empty_progress: bool,
    l3: bool = False,
) -> dict[str, Any]:
    progress, task_start, obs_frame = _progress(rng, task.progress)
    choices = _choices(rng, task, gold)
    row: dict[str, Any] = {"sample_id": sample_id}
    if l3:
        row["domain"] = task.domain
        row["scenario"] = task.scenario
    row.update(
        {
            "video_source": source,
            # Rows without progress keep a basename (pointing at a real clip) so that loaders which
            # wrongly open it for such rows would still run; the protocol says they must not use it.
            "video_basename": clip,
            "current_observation_basename": f"{sample_id}.png",
            "video_id": video_id,
            "task_goal": task.goal,
            "question": QUESTION_TEMPLATE.format(goal=task.goal),
            **choices,
            "golden_choice_idx": gold,
            "answer": task.answer,
            "task_progress_metadata": [] if empty_progress else progress,
        }
    )
    # Only some real rows carry these two frame numbers.
    if l3 or rng.random() < 0.5:
        row["current_observation_frame"] = obs_frame
    if l3:
        row["task_start_frame"] = task_start
    return row


def _ek_video_id(rng: random.Random) -> str:
    return f"P{rng.randrange(1, 32):02d}_{rng.randrange(1, 120):02d}"


def _build_rows(seed: int) -> dict[str, list[dict[str, Any]]]:
    rng = random.Random(seed)
    files: dict[str, list[dict[str, Any]]] = {}

    # L1: Epic-Kitchens, int ids; row 5 has no task progress.
    letters = _spread_letters(rng, 8)
    files["validation_L1.jsonl"] = [
        _validation_row(
            rng,
            sample_id=100 + 7 * i,
            source="EpicKitchens",
            video_id=_ek_video_id(rng),
            clip=_EK_CLIPS[i % len(_EK_CLIPS)],
            task=_KITCHEN_TASKS[i],
            gold=letters[i],
            empty_progress=(i == 5),
        )
        for i in range(8)
    ]

    # L2: Ego4D kitchens, int ids.
    letters = _spread_letters(rng, 6)
    files["validation_L2.jsonl"] = [
        _validation_row(
            rng,
            sample_id=2000 + 3 * i,
            source="Ego4D",
            video_id=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            clip=_EGO_CLIPS[i % len(_EGO_CLIPS)],
            task=_KITCHEN_TASKS[(i + 4) % len(_KITCHEN_TASKS)],
            gold=letters[i],
            empty_progress=False,
        )
        for i in range(6)
    ]

    # L3: Ego4D general, "<uid>_<k>" ids, 3 rows per domain; row 7 has no task progress.
    letters = _spread_letters(rng, 12)
    l3 = []
    for i, task in enumerate(_L3_TASKS):
        uid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        l3.append(
            _validation_row(
                rng,
                sample_id=f"{uid}_{rng.randrange(0, 6)}",
                source="Ego4D",
                video_id=uid,
                clip=_EGO_CLIPS[i % len(_EGO_CLIPS)],
                task=task,
                gold=letters[i],
                empty_progress=(i == 7),
                l3=True,
            )
        )
    files["validation_L3.jsonl"] = l3

    # Training: answer + negative_answers only. Negatives are messy like real data: row 2 repeats a
    # negative, row 4 lists the answer itself among its negatives; row 6 has no task progress.
    train = []
    for i in range(16):
        task = (_KITCHEN_TASKS + _L3_TASKS[:6])[i]
        ek = i % 2 == 0
        source = "EpicKitchens" if ek else "Ego4D"
        progress, _, obs_frame = _progress(rng, task.progress)
        negatives = list(task.distractors)
        if i == 2:
            negatives.append(negatives[0])
        if i == 4:
            negatives.insert(1, task.answer)
        sid = 5000 + i
        train.append(
            {
                "sample_id": sid,
                "video_source": source,
                "video_basename": (_EK_CLIPS if ek else _EGO_CLIPS)[(i // 2) % (4 if ek else 3)],
                "current_observation_basename": f"{sid}.png",
                "video_id": _ek_video_id(rng) if ek else str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                "task_goal": task.goal,
                "question": QUESTION_TEMPLATE.format(goal=task.goal),
                "answer": task.answer,
                "current_observation_frame": obs_frame,
                "task_progress_metadata": [] if i == 6 else progress,
                "negative_answers": negatives,
            }
        )
    files["training_6k.jsonl"] = train

    # SFT rows: a pre-rendered chat prompt (video, image, text; no video without progress) + CoT response.
    letters = _spread_letters(rng, 6)
    cot = []
    for i in range(6):
        task = _KITCHEN_TASKS[(i + 2) % len(_KITCHEN_TASKS)]
        sid = 8000 + i
        clip = _EK_CLIPS[i % len(_EK_CLIPS)]
        base = {"question": QUESTION_TEMPLATE.format(goal=task.goal), **_choices(rng, task, letters[i])}
        content: list[dict[str, str]] = []
        if i != 3:  # row 3: empty task progress -> image and text only
            content.append({"type": "video", "video": f"videos/EpicKitchens/{clip}"})
        content.append({"type": "image", "image": f"images/EpicKitchens/{sid}.png"})
        content.append({"type": "text", "text": _render_question(base)})
        done = ", then ".join(task.progress)
        response = (
            f"<think>The video shows that I have already done the following: {done}. In the current "
            f"observation the next step towards the goal '{task.goal}' is to {task.answer}, so the answer "
            f"is option {letters[i]}.</think><answer>{letters[i]}</answer>"
        )
        cot.append({"sample_id": sid, "prompt": [{"role": "user", "content": content}], "response": response})
    files["training_with_cot_6k.jsonl"] = cot
    return files


def _images_of(files: dict[str, list[dict[str, Any]]]) -> dict[str, int]:
    """Relative path of every observation image any row references -> a stable per-image key."""
    paths: list[str] = []
    for rows in files.values():
        for row in rows:
            if "current_observation_basename" in row:
                paths.append(f"images/{row['video_source']}/{row['current_observation_basename']}")
            for message in row.get("prompt", []):
                paths.extend(item["image"] for item in message["content"] if item.get("type") == "image")
    return {p: i for i, p in enumerate(sorted(set(paths)))}


# ----------------------------------------------------------------------------------------------- API


def read_marker(root: str | Path) -> dict[str, Any] | None:
    """The fixture marker of ``root`` (a folder ``make_fixture`` wrote), or None if it has none."""
    try:
        marker = json.loads((Path(root) / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return marker if isinstance(marker, dict) and marker.get("made_by") == _MADE_BY else None


def check_target(root: str | Path, *, force: bool = False) -> dict[str, Any] | None:
    """Refuse a target ``make_fixture`` must not write into; returns the marker of a fixture it may replace.

    Fine: a missing or empty folder, or (``force``) a folder holding a fixture's marker. Refused, with a
    :class:`~seedbench_r1.errors.UsageError` naming the folder: a file; a folder with a fixture but no
    ``force``; any other non-empty folder, with or without ``force`` (it may be a real dataset).
    """
    root = Path(root)
    if not root.exists():
        return None
    if not root.is_dir():
        raise UsageError(f"{root} is a file, not a folder: name a new or empty folder for the fixture")
    if next(root.iterdir(), None) is None:
        return None
    marker = read_marker(root)
    if marker is None:
        raise UsageError(
            f"{root} is not empty and holds no make-fixture marker ({MARKER}): it may be a real dataset or "
            "other data, so make-fixture will not write into it, with or without --force; name a new or "
            "empty folder"
        )
    if not force:
        raise UsageError(
            f"{root} already holds a miniature fixture (seed {marker.get('seed')}); pass --force to replace it"
        )
    return marker


def _inside(root: Path, rel: object) -> Path | None:
    """``root / rel`` for a plain relative path from a marker's file list, else None (never outside root)."""
    if not isinstance(rel, str) or not rel or rel.startswith("/") or "\\" in rel:
        return None
    parts = rel.split("/")
    if any(part in ("", ".", "..") for part in parts):
        return None
    return root.joinpath(*parts)


def make_fixture(root: str | Path, *, seed: int = 0, force: bool = False) -> dict[str, Any]:
    """Write the miniature SEED-Bench-R1 under ``root`` and return a summary.

    ``root`` must be missing or empty, or hold a fixture made earlier (``force``: replaced; files of the old
    fixture that the new one does not have are removed, anything else there is left alone). Any other
    non-empty folder is refused before anything is written (:func:`check_target`). Files are written
    atomically, the marker first, so an interrupted run leaves a folder that ``force`` can replace.

    The summary holds ``root``, ``seed``, ``rows`` (rows per annotation file), ``clips`` (relative path ->
    frames, fps, width, height, seconds), ``images`` (number of PNGs written) and ``replaced`` (whether a
    previous fixture was replaced).
    """
    root = Path(root)
    old = check_target(root, force=force)
    files = _build_rows(seed)
    images = _images_of(files)
    written = sorted(
        [f"annotations/{name}" for name in files] + [spec.relpath for spec in CLIPS] + list(images)
    )
    marker = {"made_by": _MADE_BY, "format": MARKER_FORMAT, "seed": seed, "files": written}
    write_text(root / MARKER, json.dumps(marker, indent=1) + "\n")
    rows = {name: _write_jsonl(root / "annotations" / name, data) for name, data in files.items()}
    for clip_no, spec in enumerate(CLIPS):
        write_clip(root / spec.relpath, spec, clip_no)
    for i, rel in enumerate(images):
        _write_image(root / rel, key=1000 + images[rel], size=_IMAGE_SHAPES[i % len(_IMAGE_SHAPES)])
    if old is not None:  # files only the replaced fixture had (another seed's image names)
        for rel in set(old.get("files") or []) - set(written):
            path = _inside(root, rel)
            if path is not None and path.is_file():
                path.unlink()
    return {
        "root": str(root),
        "seed": seed,
        "rows": rows,
        "clips": {
            c.relpath: {
                "frames": c.frames,
                "fps": float(c.fps),
                "width": c.width,
                "height": c.height,
                "seconds": round(c.seconds, 3),
            }
            for c in CLIPS
        },
        "images": len(images),
        "replaced": old is not None,
    }
