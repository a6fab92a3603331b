"""verl's actor-rollout-reference worker plus GRPO-CARE's reference: the EMA step on this rank's shards, the
check that actor and reference are sharded alike, and the reference saved and restored with the actor's
checkpoint (verl saves the actor only, so a resumed run would restart the reference from the hub model).

The CARE trainer puts this class in place of verl's in its role-worker mapping; Ray ships it to the workers by
module path. The actor and reference engines are verl's FSDP2 engines (``self.actor.engine.module`` and
``self.ref.engine.module``); nothing else in verl's worker changes.
"""

from __future__ import annotations

import os

import torch
from verl.single_controller.base.decorator import Dispatch, register
from verl.workers.engine_workers import ActorRolloutRefWorker

from verl_recipe.care import shards


class CareActorRolloutRefWorker(ActorRolloutRefWorker):
    """One rank of the actor, rollout and reference, with the reference CARE moves."""

    def _modules(self) -> tuple[torch.nn.Module, torch.nn.Module]:
        return self.ref.engine.module, self.actor.engine.module

    @register(dispatch_mode=Dispatch.ONE_TO_ALL)
    def care_check_reference(self) -> list[str]:
        """Why a shard-wise EMA would be wrong here (empty when it is right): placements, shapes, dtype."""
        reference, policy = self._modules()
        lines = shards.sharding_mismatches(reference, policy)
        dtypes = {str(p.dtype) for p in reference.parameters()}
        if dtypes != {"torch.float32"}:
            lines.append(
                f"reference dtype {sorted(dtypes)}: a (1 - decay) step rounds away below float32 "
                "(set actor_rollout_ref.ref.fsdp_config.model_dtype=fp32)"
            )
        return [f"rank {self.rank}: {line}" for line in lines]

    @register(dispatch_mode=Dispatch.ONE_TO_ALL)
    def care_step_reference(self, weight: float) -> tuple[float, float]:
        """The EMA step with ``weight = 1 - decay`` (0: none) on this rank's shards; this rank's share of the
        squared policy-reference distance and reference norm."""
        return shards.ema_step(*self._modules(), weight)

    @register(dispatch_mode=Dispatch.ONE_TO_ALL)
    def save_checkpoint(self, local_path, hdfs_path=None, global_step=0, max_ckpt_to_keep=None):
        # The reference first: verl writes latest_checkpointed_iteration.txt after every worker has returned.
        reference, _ = self._modules()
        folder = os.path.join(local_path, shards.REFERENCE_DIR)
        shards.save_reference(reference, folder, self.rank, self.world_size, global_step=global_step)
        torch.distributed.barrier()
        super().save_checkpoint(local_path, hdfs_path, global_step, max_ckpt_to_keep)

    @register(dispatch_mode=Dispatch.ONE_TO_ALL)
    def load_checkpoint(self, local_path, hdfs_path=None, del_local_after_load=False):
        super().load_checkpoint(local_path, hdfs_path, del_local_after_load)
        reference, _ = self._modules()
        shards.load_reference(
            reference, os.path.join(local_path, shards.REFERENCE_DIR), self.rank, self.world_size
        )
