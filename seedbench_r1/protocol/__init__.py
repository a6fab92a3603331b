"""The SEED-Bench-R1 protocol: every rule that evaluation (lmms-eval) and training (verl) must agree on.

One module per rule: ``constants`` (frame rule, sizes, letters, L3 domains), ``names`` (task, metric and log
names), ``schema`` / ``annotations`` (rows and splits), ``root`` (dataset root, media paths), ``prompt``
(question text), ``options`` (seeded options for training rows), ``content`` (what the model sees, in order),
``frames`` (frame and resize rule, decoding), ``frame_cache`` (the cache's format and its reader),
``qwen_inputs`` (processor inputs), ``rope`` (rotary positions), ``answer`` (the one parser), ``errors``.

Nothing here imports the faces (``lmms_eval_tasks``, ``verl_recipe``, ``reward_fns``), the tooling
(``seedbench_r1.data``, ``.report``, ...) or lmms-eval, verl and vLLM; a test checks it in a fresh interpreter.
"""
