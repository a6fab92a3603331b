"""The site's files, without a browser: safe data files, counts in the command's output, resume, refusals."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

from browser_site import cli

from seedbench_r1.browser.payload import safe_json
from seedbench_r1.report.results import load_runs


def test_safe_json_round_trips_and_cannot_close_a_script() -> None:
    value = {"r": "</script><script>alert(1)</script> & <!-- \u2028\u2029 ✓"}
    text = safe_json(value)
    assert not re.search(r"[<>&\u2028\u2029]", text)
    assert json.loads(text) == value


def test_data_files_carry_no_markup_characters(seed_site: dict[str, Any]) -> None:
    files = sorted((seed_site["out"] / "site" / "data").glob("*.js"))
    assert {f.name for f in files} >= {"meta.js", "index.js", "chunk_0000.js"}
    for path in files:
        assert not re.search(r"[<>]", path.read_text(encoding="utf-8")), path
    # the planted text is in there, escaped
    assert (
        "\\u003cscript\\u003ewindow.__pwned = 1" in (seed_site["out"] / "site/data/chunk_0000.js").read_text()
    )


def test_command_reports_the_site_with_its_counts(seed_site: dict[str, Any]) -> None:
    runs, _ = load_runs(seed_site["runs"])
    keys = {k for r in runs for k in r.outcomes_by_key()}
    line = next(s for s in seed_site["stdout"].splitlines() if s.startswith("site:"))
    assert f"({len(keys)} samples in 1 data files" in line
    assert "0 missing" in line and f"file://{seed_site['out'].resolve()}/index.html" in line
    index = (seed_site["out"] / "site/data/index.js").read_text(encoding="utf-8")
    rows = json.loads(index[index.index("=") + 1 : index.rindex(";")])
    assert len(rows) == len(keys)


def test_a_rebuild_reuses_every_picture(seed_site: dict[str, Any], tmp_path: Path) -> None:
    out = tmp_path / "again"
    shutil.copytree(seed_site["out"], out)
    rc, so, se = cli("report", *seed_site["runs"], "--root", seed_site["root"], "--html", "--out", out)
    assert rc == 0, se
    made = int(re.search(r"media (\d+) made, (\d+) reused", so).group(1))
    reused = int(re.search(r"media (\d+) made, (\d+) reused", so).group(2))
    assert made == 0 and reused > 0
    # the attention maps of the first build are not asked for this time: pruned, with their chunk entries
    assert not list((out / "site/media").glob("copy-*"))


def test_an_index_html_not_ours_is_not_overwritten(lmms_runs: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "site"
    out.mkdir()
    (out / "index.html").write_text("<p>my own page</p>")
    rc, _, se = cli("report", f"B={lmms_runs['B']}", "--html", "--out", out)
    assert rc == 1
    assert f"{out / 'index.html'} exists and was not written by seedbench-r1 report --html" in se
    assert (out / "index.html").read_text() == "<p>my own page</p>"
    assert not (out / "report.md").exists()


def _edit_samples(run: Path, dest: Path, task: str, edit: Any) -> Path:
    shutil.copytree(run, dest)
    (path,) = dest.rglob(f"*_samples_{task}.jsonl")
    lines = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()]
    path.write_text("".join(json.dumps(x) + "\n" for x in edit(lines)), encoding="utf-8")
    return dest


def test_runs_with_different_gold_letters_are_refused(lmms_runs: dict[str, Path], tmp_path: Path) -> None:
    def regold(lines: list[dict]) -> list[dict]:
        record = lines[0]["seedbench_r1_parsed"]
        record["gold"] = "D" if record["gold"] != "D" else "C"
        return lines

    other = _edit_samples(lmms_runs["B"], tmp_path / "other", "seedbench_r1_l1", regold)
    out = tmp_path / "site"
    rc, _, se = cli("report", f"B={lmms_runs['B']}", f"other={other}", "--html", "--out", out)
    assert rc == 1
    assert "the runs give different gold letters" in se and se.startswith(
        "seedbench-r1 report: error: L1 sample "
    )
    assert not out.exists()


def test_runs_with_different_samples_are_shown_with_the_difference_named(
    lmms_runs: dict[str, Path], tmp_path: Path
) -> None:
    dropped: list[str] = []

    def drop_first(lines: list[dict]) -> list[dict]:
        dropped.append(str(lines[0]["seedbench_r1_parsed"]["sample_id"]))
        return lines[1:]

    fewer = _edit_samples(lmms_runs["B"], tmp_path / "fewer", "seedbench_r1_l2", drop_first)
    rc, so, se = cli("report", f"B={lmms_runs['B']}", f"fewer={fewer}", "--html", "--out", tmp_path / "site")
    assert rc == 0, se
    n = sum(1 for o in load_runs([f"B={lmms_runs['B']}"])[0][0].samples["L2"])
    assert (
        f"browser: fewer: 1 of the {n} L2 samples logged by the runs are not in this run (first: {dropped[0]})"
        in se
    )
    meta = (tmp_path / "site/site/data/meta.js").read_text(encoding="utf-8")
    assert "fewer: 1 of the" in meta


def test_browser_options_need_html(lmms_runs: dict[str, Path], tmp_path: Path) -> None:
    rc, _, se = cli("report", f"B={lmms_runs['B']}", "--attention", tmp_path, "--out", tmp_path / "r")
    assert rc == 1 and "--lvb-root and --attention are options of the sample browser: add --html" in se


def test_a_missing_attention_folder_is_one_line(lmms_runs: dict[str, Path], tmp_path: Path) -> None:
    rc, _, se = cli(
        "report", f"B={lmms_runs['B']}", "--html", "--attention", tmp_path / "nope", "--out", tmp_path / "r"
    )
    assert rc == 1 and f"--attention {tmp_path / 'nope'}: no such folder" in se
