"""seedbench-r1: the SEED-Bench-R1 protocol shared by evaluation (lmms-eval) and training (verl).

Each rule lives in one module: ``protocol`` (constants), ``schema``/``annotations`` (rows and splits),
``prompt`` (question text), ``options`` (seeded options for training rows), ``frames`` (frame and resize
rule, decoding), ``content`` (what the model sees, in order), ``root`` (dataset root and media paths),
``answer`` (the one answer parser).
"""

from seedbench_r1.protocol.annotations import SPLITS, VALIDATION_SPLITS, SplitData, load_split
from seedbench_r1.protocol.content import ContentItem, prompt_content
from seedbench_r1.protocol.errors import AnnotationError, MediaError, SeedBenchError
from seedbench_r1.protocol.frames import Clip, decode_clip, frame_count, frame_indices, load_observation
from seedbench_r1.protocol.options import build_options
from seedbench_r1.protocol.prompt import INSTRUCTION, render_question
from seedbench_r1.protocol.root import resolve_root
from seedbench_r1.protocol.schema import CotSample, Sample, TrainingSample

__version__ = "0.1.0"

__all__ = [
    "SPLITS",
    "VALIDATION_SPLITS",
    "AnnotationError",
    "Clip",
    "ContentItem",
    "CotSample",
    "INSTRUCTION",
    "MediaError",
    "Sample",
    "SeedBenchError",
    "SplitData",
    "TrainingSample",
    "build_options",
    "decode_clip",
    "frame_count",
    "frame_indices",
    "load_observation",
    "load_split",
    "prompt_content",
    "render_question",
    "resolve_root",
]
