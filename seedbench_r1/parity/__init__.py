"""``seedbench-r1 parity``: evaluation and training paths compared on the same inputs.

``positions`` compares the rotary positions the lmms-eval model class, verl's GRPO agent loop and verl's SFT
dataset give every prompt; ``logprobs`` compares a fixed response's log-probs through the model class (HF and
vLLM), verl's rollout request, its GRPO training forward and its SFT forward."""
