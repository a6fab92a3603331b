"""The trainer mode ``seedbench_r1_care``: verl 0.9.1's synchronous v1 trainer plus GRPO-CARE's bonus and EMA
reference, through the base trainer's own step methods (no copy of its loop):

- ``_compute_advantage``: the consistency bonus is added to each sample's reward (``rm_scores``, on its last
  response token, where the reward loop puts the score) before verl's GRPO advantage reads it; the answer-span
  likelihood comes from the reference log-probs verl has just computed for the full multimodal sequence.
- ``_update_actor``: after verl's update, the reference moves towards the policy on every rank's shards.
- ``_init_resource_pool_mgr``: the workers are :class:`~verl_recipe.care.worker.CareActorRolloutRefWorker`,
  which save and restore the reference with the actor's checkpoint.
- ``_dump_generations``: the rollout dump carries what recomputes the bonus and the advantage.

verl's base trainer compares the mode string with ``"sync"`` (replay buffer, dataloader refill, checkpoints of
TransferQueue state, prompt reissue): CARE is synchronous, so the trainer runs under that name once chosen.
"""

from __future__ import annotations

import logging
import math

import ray
import torch
import transfer_queue as tq
from transfer_queue import KVBatchMeta
from verl.trainer.ppo.utils import Role
from verl.trainer.ppo.v1.trainer_base import register_trainer
from verl.trainer.ppo.v1.trainer_sync import PPOTrainerSync
from verl.utils import tensordict_utils as tu
from verl.utils.debug import marked_timer

from verl_recipe.care import MODE
from verl_recipe.care.bonus import batch_bonus
from verl_recipe.care.knobs import CareConfigError, check_config
from verl_recipe.care.span import answer_span, span_likelihood
from verl_recipe.care.worker import CareActorRolloutRefWorker

logger = logging.getLogger(__name__)

# Per-sample fields added to the rollout dump (trainer.rollout_data_dir), beside verl's own.
DUMP_FIELDS = (
    "format",
    "acc",
    "care_span_ids",
    "care_span_ref_logprobs",
    "care_likelihood",
    "care_bonus",
    "advantage",
)


@register_trainer(MODE)
class CareTrainer(PPOTrainerSync):
    """GRPO-CARE: verl's synchronous trainer with the consistency bonus and the EMA reference."""

    def __init__(self, config):
        self.care = check_config(config)  # every bad knob or setting, one line each, before anything starts
        logger.warning("GRPO-CARE knobs: %s", self.care)
        self._care_rows: dict[str, dict] = {}
        super().__init__(config)

    def _build_replay_buffer(self):
        self.trainer_mode = "sync"
        self.parameter_sync_step = self.config.trainer.v1.get("sync", {}).get("parameter_sync_step", 1)
        return super()._build_replay_buffer()

    def _init_resource_pool_mgr(self):
        super()._init_resource_pool_mgr()
        if Role.ActorRolloutRef not in self.role_worker_mapping:
            raise CareConfigError(
                "GRPO-CARE needs the reference beside the actor in each worker (verl chose "
                f"{sorted(map(str, self.role_worker_mapping))})"
            )
        self.role_worker_mapping[Role.ActorRolloutRef] = ray.remote(CareActorRolloutRefWorker)

    def _load_checkpoint(self):
        # The worker groups exist now: check the shards before a resume copies saved ones into them.
        problems = [line for rank in self.actor_rollout_wg.care_check_reference() for line in rank]
        if problems:
            raise CareConfigError(
                "GRPO-CARE: actor and reference are not sharded alike:\n  " + "\n  ".join(problems)
            )
        super()._load_checkpoint()

    # ------------------------------------------------------------------ the bonus, before the advantage

    def _compute_advantage(self, batch: KVBatchMeta, metrics: dict) -> KVBatchMeta:
        with marked_timer("care_bonus", self.timing_raw, color="brown"):
            self._add_bonus(batch, metrics)
        batch = super()._compute_advantage(batch, metrics)
        self._keep_advantages(batch)
        return batch

    def _keep_advantages(self, batch: KVBatchMeta) -> None:
        """Each sample's GRPO advantage (one value over its response tokens), for the dump."""
        data = tq.kv_batch_get(keys=batch.keys, partition_id=batch.partition_id, select_fields=["advantages"])
        for key, row in zip(batch.keys, data["advantages"].unbind(), strict=True):
            if key in self._care_rows:
                self._care_rows[key]["advantage"] = float(row[0]) if row.numel() else None

    def _add_bonus(self, batch: KVBatchMeta, metrics: dict) -> None:
        fields = ["uid", "responses", "ref_log_prob", "rm_scores", "extra_fields"]
        data = tq.kv_batch_get(keys=batch.keys, partition_id=batch.partition_id, select_fields=fields)
        uids = list(data["uid"])  # a TransferQueue LinkedList (a list subclass) or an array
        extra = list(data["extra_fields"])
        responses = data["responses"].unbind()
        ref_logprobs = data["ref_log_prob"].unbind()
        real = [not tag.get("is_padding", False) for tag in batch.tags]

        rows = [i for i, ok in enumerate(real) if ok]
        acc, spans, liks = {}, {}, {}
        for i in rows:
            info = (extra[i] or {}).get("reward_extra_info", {}) if isinstance(extra[i], dict) else {}
            if "acc" not in info:
                raise KeyError(
                    f"GRPO-CARE: sample {batch.keys[i]} has no 'acc' in its reward extra info "
                    "(the reward function must return the accuracy separately from the score)"
                )
            acc[i] = float(info["acc"])
            fmt = info.get("format")
            ids = responses[i].tolist()
            spans[i] = answer_span(ids, self._decode)
            span_lp = ref_logprobs[i][spans[i].start : spans[i].stop].tolist()
            liks[i] = span_likelihood(span_lp, self.care.confidence_cap)
            self._care_rows[batch.keys[i]] = {
                "acc": acc[i],
                "format": None if fmt is None else float(fmt),
                "care_span_ids": ids[spans[i].start : spans[i].stop],
                "care_span_ref_logprobs": span_lp,
                "care_likelihood": liks[i],
            }
        bonus = batch_bonus(
            [uids[i] for i in rows],
            [acc[i] for i in rows],
            [liks[i] for i in rows],
            bonus_coef=self.care.bonus_coef,
            margin=self.care.margin,
        )
        bonus_of = dict(zip(rows, bonus, strict=True))

        scores = []
        for i, row in enumerate(data["rm_scores"].unbind()):
            row = row.clone()
            if i in bonus_of and row.numel():
                row[-1] += bonus_of[i]  # the reward loop puts a sample's score on its last response token
                self._care_rows[batch.keys[i]]["care_bonus"] = bonus_of[i]
            scores.append(row)
        rm_scores = torch.nested.as_nested_tensor(scores, layout=torch.jagged)
        tq.kv_batch_put(
            keys=batch.keys,
            partition_id=batch.partition_id,
            fields=tu.get_tensordict({"rm_scores": rm_scores}),
        )
        metrics.update(_bonus_metrics(acc, spans, liks, bonus_of))

    def _decode(self, ids) -> str:
        return self.tokenizer.decode(ids, skip_special_tokens=False)

    # ------------------------------------------------------------------ the EMA, after the actor update

    def _update_actor(self, batch: KVBatchMeta, metrics: dict) -> KVBatchMeta:
        batch = super()._update_actor(batch, metrics)
        due = not self.care.frozen and self.global_steps % self.care.update_every == 0
        with marked_timer("care_ema", self.timing_raw, color="olive"):
            parts = self.actor_rollout_wg.care_step_reference(1.0 - self.care.decay if due else 0.0)
        diff, total = (math.fsum(values) for values in zip(*parts, strict=True))
        metrics["care/ref_distance"] = math.sqrt(diff / total) if total else 0.0
        metrics["care/ema_updated"] = float(due)
        return batch

    # ------------------------------------------------------------------ the dump

    def _dump_generations(self, inputs, outputs, gts, scores, reward_extra_infos_dict, dump_path):
        keys = reward_extra_infos_dict.get("uid", [])
        if keys and any(key in self._care_rows for key in keys):
            rows = [self._care_rows.get(key, {}) for key in keys]
            reward_extra_infos_dict = {
                **reward_extra_infos_dict,
                **{name: [row.get(name) for row in rows] for name in DUMP_FIELDS},
            }
            self._care_rows.clear()
        super()._dump_generations(inputs, outputs, gts, scores, reward_extra_infos_dict, dump_path)

    def on_step_end(self):
        super().on_step_end()
        if not self.config.trainer.get("rollout_data_dir"):
            self._care_rows.clear()  # kept only for the dump


def _mean(values) -> float | None:
    values = list(values)
    return math.fsum(values) / len(values) if values else None


def _bonus_metrics(acc: dict, spans: dict, liks: dict, bonus: dict) -> dict[str, float]:
    """Per-step means: the bonus, the share that got it, the capped likelihood of correct and wrong samples
    (those with an answer span), and the share without a span."""
    out = {
        "care/bonus/mean": _mean(bonus.values()),
        "care/bonus/share": _mean(float(b > 0) for b in bonus.values()),
        "care/likelihood/correct_mean": _mean(liks[i] for i in liks if acc[i] > 0 and len(spans[i])),
        "care/likelihood/wrong_mean": _mean(liks[i] for i in liks if acc[i] <= 0 and len(spans[i])),
        "care/no_span_share": _mean(float(not len(spans[i])) for i in spans),
    }
    return {key: value for key, value in out.items() if value is not None}
