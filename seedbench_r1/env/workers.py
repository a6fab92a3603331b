"""Worker processes that die with their parent.

A ``ProcessPoolExecutor`` worker outlives a parent killed with SIGKILL (no Python code runs in the parent to
stop it), keeps working, and keeps the pool's multiprocessing resource tracker alive through the pipe it
inherited. :func:`die_with_parent` is the pool initializer that prevents it on Linux: the kernel sends the
worker SIGTERM when its parent dies (``prctl(PR_SET_PDEATHSIG)``). Elsewhere it does nothing.

Use it as ``ProcessPoolExecutor(..., initializer=die_with_parent, initargs=(os.getpid(),))``. The signal
follows the thread that started the worker; ``ProcessPoolExecutor`` starts workers from the thread that
submits (or from its manager thread, which lives as long as the pool), so that is the pool's lifetime.
"""

from __future__ import annotations

import os
import signal
import sys

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def die_with_parent(parent_pid: int | None = None) -> bool:
    """Ask the kernel to SIGTERM this process when its parent dies. Returns whether that is in place.

    ``parent_pid``: the pid of the process that started this one. If the parent died before this call, the
    signal would never come: exit at once instead.
    """
    if not sys.platform.startswith("linux"):
        return False
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        ok = libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0) == 0
    except (OSError, AttributeError):  # no prctl in this libc: best effort
        return False
    if parent_pid is not None and os.getppid() != parent_pid:
        os._exit(1)  # the parent is already gone (this process was re-parented)
    return ok


__all__ = ["die_with_parent"]
