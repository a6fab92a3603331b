"""The environment a run needs: ``locks`` (the pinned environments in ``seedbench_r1/locks/``), ``doctor`` (the
installed versions, known traps, GPUs and data checked before spending GPU time) and ``workers`` (process
pools whose workers die with their parent)."""
