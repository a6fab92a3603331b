"""A planted fault for tests/verl_face/test_train.py: the recipe's dataset class, but the rows' videos never reach the
model (``data.custom_cls.path`` points here). The trainer runs; the logged prompt lengths give it away."""

from __future__ import annotations

from typing import Any

from verl_recipe.dataset import SeedBenchRLHFDataset


class VideoDroppingDataset(SeedBenchRLHFDataset):
    def _build_messages(self, example: dict, key: str) -> list[dict[str, Any]]:
        messages = super()._build_messages(example, key)
        example.pop(self.video_key, None)
        return [
            {
                **m,
                "content": [
                    c for c in m["content"] if not (isinstance(c, dict) and c.get("type") == "video")
                ],
            }
            if isinstance(m.get("content"), list)
            else m
            for m in messages
        ]
