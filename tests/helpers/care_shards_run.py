"""Run by tests/verl_face/test_care_shards.py under ``torch.distributed.run`` with two gloo ranks on CPU: the
EMA, the distance and the reference files of verl_recipe/care/shards.py on FSDP2-sharded modules. Each rank
writes what it measured to ``<out>/rank_<r>.json``."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import torch
import torch.distributed as dist
from torch.distributed.device_mesh import init_device_mesh
from torch.distributed.fsdp import fully_shard

from verl_recipe.care import shards


def model(seed: int) -> torch.nn.Module:
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Linear(7, 6), torch.nn.Tanh(), torch.nn.Linear(6, 3))


def full(module: torch.nn.Module) -> dict[str, torch.Tensor]:
    shards.resharded(module)
    return {n: p.full_tensor().detach().clone() for n, p in module.named_parameters()}


def main(out: Path) -> None:
    dist.init_process_group("gloo")
    rank, world = dist.get_rank(), dist.get_world_size()
    mesh = init_device_mesh("cpu", (world,))
    policy, reference = fully_shard(model(1), mesh=mesh), fully_shard(model(2), mesh=mesh)
    before_ref, before_pol = full(reference), full(policy)
    report: dict = {"rank": rank, "world": world}
    report["mismatches"] = shards.sharding_mismatches(reference, policy)
    report["local_shapes"] = [list(p.to_local().shape) for p in reference.parameters()]

    x = torch.randn(4, 7, generator=torch.Generator().manual_seed(0))
    with (
        torch.no_grad()
    ):  # as verl's reference and policy forwards: the root modules stay unsharded after them
        reference(x), policy(x)
    report["unsharded_after_forward"] = not hasattr(next(reference.parameters()), "to_local")
    weight = 0.25
    diff, total = shards.ema_step(reference, policy, weight)
    after = full(reference)
    expected = {n: torch.lerp(before_ref[n], before_pol[n], weight) for n in before_ref}
    report["max_error"] = max(float((after[n] - expected[n]).abs().max()) for n in after)
    report["policy_moved"] = any(not torch.equal(before_pol[n], p) for n, p in full(policy).items())
    parts = [None] * world
    dist.all_gather_object(parts, (diff, total))
    report["diff"] = sum(d for d, _ in parts)
    report["total"] = sum(t for _, t in parts)
    report["expected_diff"] = sum(float((before_pol[n] - expected[n]).double().square().sum()) for n in after)
    report["expected_total"] = sum(float(expected[n].double().square().sum()) for n in after)
    # the next forward all-gathers the updated shards
    plain = model(2)
    plain.load_state_dict(expected)
    with torch.no_grad():
        report["forward_error"] = float((reference(x) - plain(x)).abs().max())

    frozen = full(reference)
    shards.ema_step(reference, policy, 0.0)
    report["frozen_unchanged"] = all(torch.equal(frozen[n], p) for n, p in full(reference).items())

    folder = out / "ckpt"
    shards.save_reference(reference, folder, rank, world, global_step=3)
    dist.barrier()
    with torch.no_grad():
        for p in reference.parameters():
            p.to_local().add_(1.0)
    manifest = shards.load_reference(reference, folder, rank, world)
    report["restored"] = all(torch.equal(frozen[n], p) for n, p in full(reference).items())
    report["manifest"] = manifest

    unsharded = model(2)  # a reference that is not sharded like the policy
    report["unsharded_mismatches"] = shards.sharding_mismatches(unsharded, policy)
    (out / f"rank_{rank}.json").write_text(json.dumps(report))
    dist.destroy_process_group()


if __name__ == "__main__":
    main(Path(sys.argv[1]))
