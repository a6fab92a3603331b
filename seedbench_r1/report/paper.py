"""The paper's Table 2 (Qwen2-VL-7B-Instruct; docs/protocol.md) as counts, and the report's columns.

The paper prints percentages only; the counts are the ones those percentages imply on the full splits
(L1 2432, L2 923, L3 1321; L3 domains 439 / 295 / 183 / 404). Every printed value is k/n rounded to two
decimals except Vanilla / Hobbies: 32.30 is k/295 for no k, and 95/295 = 32.20 is the value consistent with
the L3 total (137 + 95 + 61 + 124 = 417), so it is kept as 95 and flagged as a typo.
"""

from __future__ import annotations

from dataclasses import dataclass

from seedbench_r1.protocol.annotations import EXPECTED_L3_DOMAINS, SPLITS
from seedbench_r1.protocol.constants import DOMAINS


@dataclass(frozen=True)
class Column:
    """One column of a table: a level, one L3 domain (Table 2), or one LongVideoBench group (Table 3)."""

    key: str  # "L1", "L2", "L3", or a domain key ("daily_life", ...); "lvb_15", ... for Table 3
    label: str  # header text
    level: str  # the level the column belongs to ("L1" / "L2" / "L3"; "LVB" for Table 3)
    domain: str = ""  # canonical L3 domain ("Daily life", ...) for domain columns
    expected_total: int | None = None  # size of the full split / domain
    group: str = ""  # Table 3: the group a sample must carry ("15", ..., "perception"); "" = all of the level


def _columns() -> tuple[Column, ...]:
    cols = [
        Column("L1", "L1", "L1", expected_total=SPLITS["validation_L1"].expected_rows),
        Column("L2", "L2", "L2", expected_total=SPLITS["validation_L2"].expected_rows),
    ]
    for canonical, key in DOMAINS.values():
        cols.append(Column(key, f"L3 {canonical}", "L3", canonical, EXPECTED_L3_DOMAINS[canonical]))
    cols.append(Column("L3", "L3", "L3", expected_total=SPLITS["validation_L3"].expected_rows))
    return tuple(cols)


# Table 2's column order: L1; L2; L3 Daily life, Hobbies, Recreation, Work; L3 overall.
COLUMNS: tuple[Column, ...] = _columns()
COLUMN_BY_KEY = {c.key: c for c in COLUMNS}
LEVELS = ("L1", "L2", "L3")


@dataclass(frozen=True)
class Cell:
    """correct / total for one (row, column); ``None`` where unknown, with ``note`` saying why."""

    correct: int | None
    total: int | None
    note: str = ""
    printed: float | None = None  # the percentage as printed in the paper (paper rows only)

    @property
    def known(self) -> bool:
        return self.correct is not None and self.total is not None and self.total > 0

    @property
    def pct(self) -> float | None:
        return 100.0 * self.correct / self.total if self.known else None  # type: ignore[operator]


# (printed percentage, implied correct count) per column, in COLUMNS order.
_PAPER: dict[str, tuple[tuple[float, int], ...]] = {
    "Vanilla": (
        (34.79, 846),
        (34.02, 314),
        (31.21, 137),
        (32.30, 95),
        (33.33, 61),
        (30.69, 124),
        (31.57, 417),
    ),
    "SFT": ((43.79, 1065), (44.10, 407), (38.27, 168), (41.02, 121), (32.24, 59), (38.61, 156), (38.15, 504)),
    "GRPO": (
        (46.01, 1119),
        (50.16, 463),
        (48.52, 213),
        (45.08, 133),
        (43.72, 80),
        (41.34, 167),
        (44.89, 593),
    ),
}
_TYPO_NOTE = "printed 32.30 is k/295 for no k; 95/295 = 32.20 (consistent with the L3 total): typo"
TYPOS: dict[tuple[str, str], str] = {("Vanilla", "hobbies"): _TYPO_NOTE}


def _paper_rows() -> dict[str, dict[str, Cell]]:
    rows: dict[str, dict[str, Cell]] = {}
    for name, values in _PAPER.items():
        rows[name] = {
            col.key: Cell(k, col.expected_total, TYPOS.get((name, col.key), ""), printed)
            for col, (printed, k) in zip(COLUMNS, values, strict=True)
        }
    return rows


PAPER_ROWS: dict[str, dict[str, Cell]] = _paper_rows()
PAPER_LABEL = "paper {name} (Qwen2-VL-7B)"


@dataclass(frozen=True)
class PrintedCheck:
    row: str
    column: str
    printed: float
    from_counts: float
    matches: bool
    typo_note: str


def check_printed(rows: dict[str, dict[str, Cell]] = PAPER_ROWS) -> list[PrintedCheck]:
    """Every paper cell (Table 2 by default): does its count reproduce the printed percentage (two decimals)?"""
    out = []
    for name, cells in rows.items():
        for key, cell in cells.items():
            assert cell.printed is not None and cell.pct is not None
            value = round(cell.pct, 2)
            out.append(
                PrintedCheck(name, key, cell.printed, value, abs(value - cell.printed) < 1e-9, cell.note)
            )
    return out
