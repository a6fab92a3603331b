"""LongVideoBench, the paper's transfer benchmark (Table 3), under the SEED-Bench-R1 protocol.

``loader`` reads ``lvb_val.json`` into questions (protocol-level: it imports only :mod:`seedbench_r1.protocol`);
``download`` and ``verify`` get the gated release onto disk and check it; ``fixture`` writes a miniature copy.
The lmms-eval task is ``lmms_eval_tasks/longvideobench_r1/``; its Table 3 report is
:mod:`seedbench_r1.report.lvb`.
"""
