"""The documented commands: fenced shell blocks of the docs, split into logical lines, and the words a line
is classified by."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
DOC_FILES: tuple[Path, ...] = (
    REPO / "README.md",
    *sorted((REPO / "docs").glob("*.md")),
    REPO / "tests" / "README.md",
)
SHELL_LANGS = frozenset({"bash", "sh", "shell", "console"})
CLASS_NAMES = {
    1: "seedbench-r1",
    2: "hydra launch",
    3: "pip install",
    4: "make",
    5: "repo script / pytest",
    6: "other CLI",
    7: "shell glue",
}
# First words that make a comment's `...: <command>` tail a documented command, and that start a command line.
COMMAND_WORDS = frozenset(
    {
        "seedbench-r1",
        "python",
        "python3",
        ".venv/bin/python",
        "torchrun",
        "ray",
        "pip",
        "pip3",
        "make",
        "pytest",
        ".venv/bin/pytest",
        "lmms-eval",
        "bash",
        "sh",
        "export",
        "cd",
    }
)
HYDRA_MODULES = ("verl.trainer.main_ppo", "verl.trainer.sft_trainer")
# A launch line that elides its config (`python -m verl.trainer.main_ppo ... key=value`) means this recipe.
ELIDED_RECIPE = {"verl.trainer.main_ppo": "seedbench_r1_grpo", "verl.trainer.sft_trainer": "seedbench_r1_sft"}
ELIDED_VALUE = "ELIDED"  # stands for `...` where a flag needs a value
RUN_TIMEOUT_S = 300


class Elision:
    """A bare ``...`` word."""

    def __repr__(self) -> str:
        return "..."


ELISION = Elision()


class ShellSyntaxError(ValueError):
    pass


# ------------------------------------------------------------------------------------------------- doc parsing


@dataclass
class Block:
    fence_line: int
    lang: str
    lines: list[tuple[int, str]]  # (doc line number, text)


@dataclass
class Logical:
    """One command as the shell reads it: continuations joined, comment stripped, placeholders marked."""

    line: int  # doc line it starts on (the test id)
    end: int  # doc line it ends on
    text: str  # with placeholders replaced by __PH<n>__
    placeholders: list[str]
    origin: str  # "line", or "comment" for a `...: <command>` tail of a comment


_FENCE = re.compile(r"^( {0,3})(`{3,}|~{3,})\s*([^\s`]*)")


def read_blocks(path: Path) -> list[Block]:
    """The fenced code blocks of a Markdown file whose language is a shell."""
    blocks: list[Block] = []
    lines = path.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        m = _FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        indent, fence, lang = len(m.group(1)), m.group(2), m.group(3).lower()
        body: list[tuple[int, str]] = []
        j = i + 1
        while j < len(lines):
            stripped = lines[j].strip()
            if stripped.startswith(fence[0] * len(fence)) and set(stripped) == {fence[0]}:
                break
            text = lines[j]
            body.append((j + 1, text[indent:] if text[:indent].strip() == "" else text))
            j += 1
        if lang in SHELL_LANGS:
            blocks.append(Block(i + 1, lang, body))
        i = j + 1
    return blocks


_PLACEHOLDER = re.compile(r"<([A-Za-z][^<>\"'`$]*)>")


def _mark_placeholders(text: str, placeholders: list[str]) -> str:
    """Replace ``<name>`` at ``text``'s start by ``__PH<n>__`` (the caller has checked it is unquoted)."""
    m = _PLACEHOLDER.match(text)
    assert m is not None
    placeholders.append(m.group(1))
    return f"__PH{len(placeholders) - 1}__"


def split_block(block: Block) -> tuple[list[Logical], str]:
    """The block's logical commands, and its text with placeholders made shell words (for ``bash -n``)."""
    commands: list[Logical] = []
    sanitized: list[str] = []
    buf = ""
    start = 0
    placeholders: list[str] = []
    quote: str | None = None
    for lineno, raw in block.lines:
        text = raw
        if block.lang == "console":
            if not buf and not text.startswith("$ "):
                sanitized.append("")
                continue  # output, not a command
            if not buf:
                text = text[2:]
        if not buf:
            start = lineno
            placeholders = []
        out: list[str] = []
        comment: str | None = None
        continued = False
        i = 0
        while i < len(text):
            c = text[i]
            if quote == "'":
                out.append(c)
                quote = None if c == "'" else quote
            elif c == "\\":
                if i == len(text) - 1:
                    continued = True
                    break
                out.append(text[i : i + 2])
                i += 2
                continue
            elif quote == '"':
                out.append(c)
                quote = None if c == '"' else quote
            elif c in "'\"":
                quote = c
                out.append(c)
            elif c == "#" and (not (buf + "".join(out)).strip() or (buf + "".join(out))[-1] in " \t;"):
                comment = text[i + 1 :].strip()
                break
            elif c == "<" and _PLACEHOLDER.match(text, i):
                m = _PLACEHOLDER.match(text, i)
                assert m is not None
                out.append(_mark_placeholders(text[i : m.end()], placeholders))
                i = m.end()
                continue
            else:
                out.append(c)
            i += 1
        line_text = "".join(out)
        sanitized.append(
            line_text + (" \\" if continued else "") + (f" #{comment}" if comment is not None else "")
        )
        if comment is not None:
            tail = comment_command(comment)
            if tail is not None:
                sub = Block(block.fence_line, "bash", [(lineno, tail)])
                tail_commands, _ = split_block(sub)
                for cmd in tail_commands:
                    cmd.origin = "comment"
                commands.extend(tail_commands)
        if continued or quote is not None:
            buf += line_text + (" " if continued else "\n")
            continue
        buf += line_text
        if buf.strip():
            commands.append(Logical(start, lineno, buf.strip(), placeholders, "line"))
        buf = ""
    if buf.strip():
        commands.append(Logical(start, block.lines[-1][0], buf.strip(), placeholders, "line"))
    commands.sort(key=lambda c: (c.line, c.origin != "line"))
    return commands, "\n".join(sanitized) + "\n"


ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")


def head_word(text: str) -> str | None:
    """The command word of a line: its first word after ``NAME=value`` prefixes."""
    for word in text.split():
        if not ASSIGNMENT.match(word):
            return word
    return None


def comment_command(comment: str) -> str | None:
    """``# or: NPROC=8 bash run.sh`` -> ``NPROC=8 bash run.sh``: the tail after ``: `` when it starts with a
    command word."""
    for m in re.finditer(r":\s+", comment):
        tail = comment[m.end() :].strip()
        if head_word(tail) in COMMAND_WORDS:
            return tail
    return None


def doc_commands(path: Path) -> list[tuple[Block, list[Logical], str]]:
    return [(block, *split_block(block)) for block in read_blocks(path)]


def command_lines(path: Path) -> list[int]:
    """The doc lines that hold a command (the test ids), in order, without duplicates."""
    return sorted({cmd.line for _, commands, _ in doc_commands(path) for cmd in commands})
