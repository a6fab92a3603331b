"""The last gate before a run reports done: the output loads with the core's CoT loader, holds exactly the
journal's kept rows (each sample id once), and every response is re-scored right and well formatted against
the gold and options it was accepted under."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from seedbench_r1.distill.journal import JournalData
from seedbench_r1.protocol.answer import score_response
from seedbench_r1.protocol.errors import SeedBenchError


class DistillOutputError(SeedBenchError):
    """The output file disagrees with the journal or the acceptance rule: never reported as done."""


def validate_output(out: Path, data: JournalData) -> int:
    """Checks ``out`` against the journal ``data``; returns the number of rows. Raises DistillOutputError."""
    from seedbench_r1.protocol.annotations import load_split
    from seedbench_r1.protocol.schema import CotSample

    expected = data.kept_rows()
    if not expected:
        if out.read_bytes().strip():
            raise DistillOutputError(f"{out}: holds rows, but the journal keeps none")
        return 0
    # A path with a folder in it is read as given; duplicates and schema errors raise here.
    loaded = load_split(None, str(out.absolute()), on_error="raise")
    if loaded.info.kind != "cot" or not all(isinstance(r, CotSample) for r in loaded.records):
        raise DistillOutputError(f"{out}: the core's loader does not read it as CoT rows")
    if len(loaded.records) != len(expected):
        raise DistillOutputError(f"{out}: {len(loaded.records)} rows, the journal keeps {len(expected)}")
    decisions = _kept_records(data)
    for record, row in zip(loaded.records, expected, strict=True):
        assert isinstance(record, CotSample)
        if record.sample_id != row["sample_id"] or record.response != row["response"]:
            raise DistillOutputError(
                f"{out}: row {record.sample_id!r} differs from the journal's (expected {row['sample_id']!r})"
            )
        if list(record.messages) != row["prompt"]:
            raise DistillOutputError(
                f"{out}: the prompt of row {record.sample_id!r} differs from the journal's"
            )
        rec = decisions[repr(record.sample_id)]
        score = score_response(record.response, rec["gold"], rec["options"], mode="strict")
        if score["acc"] != 1 or score["format"] != 1:
            raise DistillOutputError(
                f"{out}: row {record.sample_id!r} re-scores acc={score['acc']} format={score['format']} "
                f"against gold {rec['gold']}: it must not be in the output"
            )
    return len(expected)


def _kept_records(data: JournalData) -> dict[str, dict[str, Any]]:
    return {
        repr(rec["id"]): rec for batch in data.batches for rec in batch["rows"] if rec.get("keep") is not None
    }
