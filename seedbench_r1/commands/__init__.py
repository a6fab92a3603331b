"""Subcommands of the ``seedbench-r1`` console script: one module each, discovered by :mod:`seedbench_r1.cli`.

A command module imports heavy dependencies (torch, lmms-eval, verl) inside its handler, not at module level,
so that ``seedbench-r1 --help`` stays fast and works with any subset of the extras installed.
"""
