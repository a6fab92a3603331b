"""verl reward functions for SEED-Bench-R1 (thin glue over ``seedbench_r1.protocol.answer``).

Load in verl 0.9.1 with::

    reward.custom_reward_function.path=pkg://reward_fns.seedbench_r1
    reward.custom_reward_function.name=compute_score
"""
