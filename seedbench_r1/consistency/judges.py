"""Judge backends: one reply text per prompt, in order.

- ``hf`` / ``vllm``: the project's lmms-eval model class, text only (no clip, no image), batched by it.
- ``openai``: any OpenAI-compatible server (``vllm serve`` of a large judge on a cluster): chat completions,
  ``concurrency`` requests in flight, a timeout per request and a bounded number of retries (the client's own
  exponential back-off, on connection errors, timeouts, 408/409/429 and 5xx). A request that still fails
  stops the run with one line; what was judged before it is already committed.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from seedbench_r1.protocol.checkpoint import checkpoint_problem
from seedbench_r1.protocol.errors import SeedBenchError, UsageError

BACKENDS = ("hf", "vllm", "openai")


class JudgeError(SeedBenchError):
    """The judge could not answer (a server that refuses, times out or errs)."""


@dataclass(frozen=True)
class Sampling:
    temperature: float = 0.0  # 0: greedy
    top_p: float = 1.0
    max_new_tokens: int = 16

    def record(self) -> dict[str, Any]:
        return {"temperature": self.temperature, "top_p": self.top_p, "max_new_tokens": self.max_new_tokens}


class Judge(Protocol):
    batch_size: int

    def replies(self, prompts: Sequence[str]) -> list[str]: ...

    def close(self) -> None: ...


def check_model_folder(judge: str) -> None:
    """A local judge must be a model folder; a name that is no path is left to the hub (offline: an error)."""
    path = Path(judge)
    looks_like_path = path.is_absolute() or judge.startswith(".") or "/" in judge and path.parent.exists()
    if path.is_dir():
        problem = checkpoint_problem(path)  # the model class's own rule: a Qwen2-VL / Qwen2.5-VL folder
        if problem:
            raise UsageError(f"--judge {judge}: not a model folder for the model class ({problem})")
    elif path.exists():
        raise UsageError(f"--judge {judge}: not a model folder (a file)")
    elif looks_like_path:
        raise UsageError(f"--judge {judge}: no such model folder")


class ModelJudge:
    def __init__(self, judge: str, backend: str, sampling: Sampling, model_args: dict[str, Any]) -> None:
        from lmms_eval_tasks.models.seedbench_r1_qwen_vl import SeedBenchR1QwenVL

        self.lm = SeedBenchR1QwenVL(pretrained=judge, backend=backend, **model_args)
        self.batch_size = self.lm.batch_size
        self.gen: dict[str, Any] = {
            "max_new_tokens": sampling.max_new_tokens,
            "temperature": sampling.temperature,
        }
        if sampling.temperature > 0:
            self.gen["top_p"] = sampling.top_p

    def replies(self, prompts: Sequence[str]) -> list[str]:
        from seedbench_r1.protocol.qwen_inputs import VisionPrompt

        texts = [VisionPrompt(None, None, p, name=f"judge prompt {n}") for n, p in enumerate(prompts)]
        return self.lm.generate_prompts(texts, dict(self.gen))

    def close(self) -> None:
        from seedbench_r1.distill.teachers import release

        release(self.lm)


class OpenAIJudge:
    def __init__(
        self,
        judge: str,
        sampling: Sampling,
        *,
        base_url: str,
        api_key: str,
        concurrency: int,
        timeout: float,
        retries: int,
    ) -> None:
        from openai import OpenAI

        self.judge, self.sampling, self.base_url = judge, sampling, base_url
        self.concurrency, self.timeout, self.retries = concurrency, timeout, retries
        self.client = OpenAI(base_url=base_url, api_key=api_key, timeout=timeout, max_retries=retries)
        self.batch_size = 4 * concurrency  # a commit every few rounds of requests
        self._pool = ThreadPoolExecutor(concurrency)

    def replies(self, prompts: Sequence[str]) -> list[str]:
        return list(self._pool.map(self._reply, prompts))

    def _reply(self, prompt: str) -> str:
        import openai

        where = f"judge server {self.base_url}"
        tries = f"after {self.retries} retr{'y' if self.retries == 1 else 'ies'}"
        try:
            reply = self.client.chat.completions.create(
                model=self.judge,
                messages=[{"role": "user", "content": prompt}],
                temperature=self.sampling.temperature,
                top_p=self.sampling.top_p,
                max_tokens=self.sampling.max_new_tokens,
            )
        except openai.APITimeoutError:
            raise JudgeError(f"{where}: no reply within --timeout {self.timeout:g} s, {tries}") from None
        except openai.APIConnectionError as exc:
            raise JudgeError(f"{where}: cannot connect ({exc.__cause__ or exc}), {tries}") from None
        except openai.APIStatusError as exc:
            body = " ".join(str(exc.message).split())[:200]
            raise JudgeError(f"{where}: HTTP {exc.status_code} ({body}), {tries}") from None
        if not reply.choices:
            raise JudgeError(f"{where}: a reply without choices for model {self.judge!r}")
        return reply.choices[0].message.content or ""

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        self.client.close()
