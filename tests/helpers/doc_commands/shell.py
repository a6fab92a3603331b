"""Shell words: a small tokenizer for the documented lines (quotes, ``$VAR``, ``$(...)``, elisions)."""

from __future__ import annotations

import re

from .parse import ASSIGNMENT, ShellSyntaxError

# ---------------------------------------------------------------------------------------------- shell words

Part = tuple[
    str, str
]  # (kind, value): lit | dq | sq (text), var (name, quoted: qvar), cmd / qcmd (inner text)


def _dollar(text: str, i: int, quoted: bool) -> tuple[Part | None, int]:
    """Parse ``$NAME`` / ``${NAME}`` / ``$(...)`` at ``text[i] == '$'``."""
    if text.startswith("$(", i):
        depth, j, q = 0, i + 1, None
        while j < len(text):
            c = text[j]
            if q:
                q = None if c == q else q
            elif c in "'\"":
                q = c
            elif c == "(":
                depth += 1
            elif c == ")":
                depth -= 1
                if depth == 0:
                    return ("qcmd" if quoted else "cmd", text[i + 2 : j]), j + 1
            j += 1
        raise ShellSyntaxError("unterminated $(")
    m = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*)").match(text, i + 1)
    if m:
        return ("qvar" if quoted else "var", m.group(1) or m.group(2)), m.end()
    if i + 1 < len(text) and text[i + 1] == "{":
        raise ShellSyntaxError(f"parameter expansion not handled by this test: {text[i:]}")
    return None, i + 1


def tokenize(text: str) -> list[list[Part]]:
    """Shell words of one command (quotes, ``$VAR``, ``$(...)``; operators become ``("op", c)`` words)."""
    words: list[list[Part]] = []
    cur: list[Part] = []

    def add(kind: str, value: str) -> None:
        if cur and cur[-1][0] == kind and kind in ("lit", "dq"):
            cur[-1] = (kind, cur[-1][1] + value)
        else:
            cur.append((kind, value))

    i = 0
    while i < len(text):
        c = text[i]
        if c in " \t\n":
            if cur:
                words.append(cur)
                cur = []
            i += 1
        elif c == "'":
            j = text.find("'", i + 1)
            if j < 0:
                raise ShellSyntaxError("unterminated single quote")
            cur.append(("sq", text[i + 1 : j]))
            i = j + 1
        elif c == '"':
            i += 1
            cur.append(("dq", ""))
            while True:
                if i >= len(text):
                    raise ShellSyntaxError("unterminated double quote")
                c = text[i]
                if c == '"':
                    i += 1
                    break
                if c == "\\" and i + 1 < len(text) and text[i + 1] in '"\\$`':
                    add("dq", text[i + 1])
                    i += 2
                elif c == "$":
                    part, i = _dollar(text, i, quoted=True)
                    if part is None:
                        add("dq", "$")
                    else:
                        cur.append(part)
                elif c == "`":
                    raise ShellSyntaxError("backquote substitution not handled by this test")
                else:
                    add("dq", c)
                    i += 1
        elif c == "\\":
            add("lit", text[i + 1 : i + 2])
            i += 2
        elif c == "$":
            part, i = _dollar(text, i, quoted=False)
            if part is None:
                add("lit", "$")
            else:
                cur.append(part)
        elif c in ";|&<>()`":
            if cur:
                words.append(cur)
                cur = []
            words.append([("op", c)])
            i += 1
        else:
            add("lit", c)
            i += 1
    if cur:
        words.append(cur)
    return words


def is_assignment(word: list[Part]) -> bool:
    return bool(word) and word[0][0] == "lit" and bool(ASSIGNMENT.match(word[0][1]))
