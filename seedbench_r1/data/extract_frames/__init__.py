"""``seedbench-r1 extract-frames``: build the frame cache once, so training reads PNGs instead of decoding video.

The cache's format and its one reader are the protocol's (:mod:`seedbench_r1.protocol.frame_cache`); this
package writes it: ``plan`` (which entries the chosen samples need, which are valid already), ``build`` (one
entry decoded by the protocol and written atomically), ``file_lock`` (one writer per cache), ``run``
(local process pool or Ray tasks) and ``verify`` (every file hashed against its manifest).
"""

from seedbench_r1.data.extract_frames.file_lock import CacheBusyError, cache_lock
from seedbench_r1.data.extract_frames.plan import DATASETS, Plan, media_of, plan
from seedbench_r1.data.extract_frames.run import Summary, extract_frames
from seedbench_r1.data.extract_frames.verify import CacheCheck, verify_cache

__all__ = [
    "DATASETS",
    "CacheBusyError",
    "CacheCheck",
    "Plan",
    "Summary",
    "cache_lock",
    "extract_frames",
    "media_of",
    "plan",
    "verify_cache",
]
