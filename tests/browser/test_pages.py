"""The sample browser in Debian's Chromium: the front page is the report, filters count right, a sample shows
what the model saw and wrote, and the page asks for nothing outside its folder (from disk and over HTTP)."""

from __future__ import annotations

import csv
import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_site import HUGE_ID, Page

from seedbench_r1.protocol.annotations import load_split
from seedbench_r1.report.results import load_runs


def url(site: dict[str, Any], fragment: str = "") -> str:
    return (site["out"] / "index.html").as_uri() + fragment


def assert_stayed_home(tab: Page, base: str) -> None:
    """Every request the page made is a file of the site (Chromium's own traffic is not the page's)."""
    asked = [u for u in tab.requests if not u.startswith("about:")]
    assert asked and all(u.startswith(base) for u in asked), [u for u in asked if not u.startswith(base)]
    assert tab.errors == []


def site_base(site: dict[str, Any]) -> str:
    return site["out"].resolve().as_uri() + "/"


def count_text(tab: Page) -> str:
    return tab.page.locator("#count").inner_text()


def check_table(tab: Page, csv_path: Path) -> int:
    rows = list(csv.DictReader(csv_path.open(encoding="utf-8")))
    assert rows
    for r in rows:
        cell = tab.page.locator(f'td[data-row="{r["row"]}"][data-column="{r["column"]}"]')
        text = cell.inner_text()
        if r["pct"]:
            assert f"{float(r['pct']):.2f}" in text and f"({r['correct']}/{r['total']})" in text, (r, text)
            assert f"[{float(r['wilson95_low']):.1f}, {float(r['wilson95_high']):.1f}]" in text
        else:
            assert text.startswith("n/a"), (r, text)
    return len(rows)


# ------------------------------------------------------------------------------------------- front page


def test_front_page_numbers_are_the_reports_csv(seed_site: dict[str, Any], tab: Page) -> None:
    page = tab.open(url(seed_site))
    assert check_table(tab, seed_site["out"] / "table.csv") == 3 * 7
    headers = page.locator("section.run").all_inner_texts()
    assert [h.split("\n")[0] for h in headers] == ["B", "none", "planted"]
    assert all("dummy" in h and "max_new_tokens" in h and "seedbench_r1_l1 1" in h for h in headers)
    charts = page.locator("img.chart")
    assert charts.count() == 2  # report.png and length.png
    assert page.evaluate("[...document.querySelectorAll('img.chart')].every(i => i.naturalWidth > 0)")
    tab.shot("overview")
    # a cell links to its column's samples
    before = tab.renders()
    page.locator('td[data-row="B"][data-column="L3 Work"] a').click()
    tab.wait_render(before)
    runs, _ = load_runs(seed_site["runs"][:1])
    work = sum(o.domain == "Work" for o in runs[0].samples["L3"])
    assert count_text(tab).startswith(f"{work} of ")
    assert "level=L3" in page.url and "domain=Work" in page.url
    assert_stayed_home(tab, site_base(seed_site))


# ------------------------------------------------------------------------------------------- filters


def expected_counts(site: dict[str, Any]) -> dict[str, int]:
    runs, _ = load_runs(site["runs"])
    b, none, _planted = (r.outcomes_by_key() for r in runs)
    keys = list(b)
    questions = {
        (lvl, str(s.sample_id)): " ".join([s.question, *s.choices]).lower()
        for lvl in ("L1", "L2", "L3")
        for s in load_split(site["root"], f"validation_{lvl}")
    }
    return {
        "": len(keys),
        "level=L1": sum(k[0] == "L1" for k in keys),
        "level=L3&domain=Hobbies": sum(o.domain == "Hobbies" for o in b.values()),
        "r0=wrong": sum(not o.correct for o in b.values()),
        "r0=right&r1=wrong": sum(b[k].correct and not none[k].correct for k in keys),
        "disagree=1": sum(len({b[k].correct, none[k].correct}) == 2 for k in keys),
        "r1=noanswer": sum(o.pred is None for o in none.values()),
        "r1=badformat": sum(o.formatted == 0 for o in none.values()),
        "level=L2&r0=right": sum(k[0] == "L2" and b[k].correct for k in keys),
        "q=cupboard": sum("cupboard" in questions[k] for k in keys),
        "lenrun=1&minw=5": sum(len(o.response.split()) >= 5 for o in none.values()),
        "lenrun=1&maxw=4": sum(len(o.response.split()) <= 4 for o in none.values()),
    }


def test_filters_show_the_right_counts(seed_site: dict[str, Any], tab: Page) -> None:
    expected = expected_counts(seed_site)
    total = expected[""]
    assert expected["r0=right&r1=wrong"] > 0 and expected["q=cupboard"] > 0  # the cases are not all empty
    for query, n in expected.items():
        page = tab.open(url(seed_site, f"#/samples?{query}"))
        assert count_text(tab) == f"{n} of {total} samples", query
        assert page.locator("table.list tbody tr").count() == min(n, 100), query
    tab.shot("samples")
    assert_stayed_home(tab, site_base(seed_site))


def test_the_form_drives_the_url_and_the_list(seed_site: dict[str, Any], tab: Page) -> None:
    expected = expected_counts(seed_site)
    page = tab.open(url(seed_site, "#/samples"))
    before = tab.renders()
    page.select_option('select[name="level"]', "L2")
    tab.wait_render(before)
    before = tab.renders()
    page.select_option('select[name="r0"]', "right")
    tab.wait_render(before)
    assert count_text(tab).startswith(f"{expected['level=L2&r0=right']} of ")
    assert "level=L2" in page.url and "r0=right" in page.url
    # the URL is the state: opening it afresh gives the same view
    tab.open(page.url)
    assert count_text(tab).startswith(f"{expected['level=L2&r0=right']} of ")
    # sorting by the planted run's length: longest first, the huge response on top
    page = tab.open(url(seed_site, "#/samples?lenrun=2&sort=len"))
    cells = page.locator("table.list tbody tr td:nth-child(8)").all_inner_texts()
    words = [int(t.split()[-1].rstrip("w")) for t in cells]
    assert words == sorted(words, reverse=True) and words[0] > words[-1]
    assert page.locator("table.list tbody tr").first.get_attribute("data-key") == f"L1/{HUGE_ID}"


def test_export_gives_the_filtered_ids(seed_site: dict[str, Any], tab: Page) -> None:
    runs, _ = load_runs(seed_site["runs"][:1])
    want = [f"L1/{o.sample_id}" for o in runs[0].samples["L1"] if not o.correct]
    page = tab.open(url(seed_site, "#/samples?level=L1&r0=wrong"))
    with page.expect_download() as download:
        page.click("#export-button")
    text = Path(download.value.path()).read_text(encoding="utf-8")
    assert sorted(text.split()) == sorted(want)
    assert page.locator("#export").input_value() == text


# ------------------------------------------------------------------------------------------- one sample


def test_a_sample_shows_frames_image_question_responses_and_verdicts(
    seed_site: dict[str, Any], tab: Page
) -> None:
    page = tab.open(url(seed_site, f"#/sample/L1/{HUGE_ID}"))
    images = page.locator("#detail figure img")
    assert images.count() == 3  # contact sheet, observation, attention map
    page.wait_for_function("[...document.querySelectorAll('#detail img')].every(i => i.complete)")
    sizes = page.evaluate(
        "[...document.querySelectorAll('#detail figure img')].map(i => [i.naturalWidth, i.naturalHeight])"
    )
    assert sizes[0] == [4 * 126, 4 * 126] and sizes[1] == [252, 252] and sizes[2][0] > 0
    assert "16 frames (indices 0, 16, " in page.locator("figcaption").first.inner_text()
    sample = next(s for s in load_split(seed_site["root"], "validation_L1") if str(s.sample_id) == HUGE_ID)
    assert page.locator("p.question").inner_text() == sample.question
    options = page.locator("ul.options li").all_inner_texts()
    assert [o.split(". ", 1)[1].split(" (gold)")[0].split(" ←")[0] for o in options] == list(sample.choices)
    assert "(gold)" in options["ABCD".index(sample.gold)]
    panels = page.locator(".runpanel")
    assert panels.count() == 3
    b, none, planted = (panels.nth(i).inner_text() for i in range(3))
    assert "parsed B, gold " + sample.gold in b
    assert "consistency: judged consistent" in b and "planted (openai, consistency-v1)" in b
    assert "wrong (no answer): parsed none" in none
    # think folded, answer highlighted
    assert panels.nth(0).locator("details.think").count() == 1
    assert panels.nth(0).locator("details.think").get_attribute("open") is None
    assert panels.nth(0).locator("mark.answer").inner_text() == "B"
    tab.shot("sample")
    # the huge response: cut, and all of it after "show all"
    huge = panels.nth(2)
    assert huge.locator("text=… cut at 3000 of").count() == 1
    assert huge.text_content().count("very long reasoning") < 400
    huge.locator("button.show-all").click()
    assert huge.text_content().count("very long reasoning") == 400
    assert_stayed_home(tab, site_base(seed_site))


def test_previous_and_next_walk_the_filtered_list(seed_site: dict[str, Any], tab: Page) -> None:
    runs, _ = load_runs(seed_site["runs"][:1])
    ids = [str(o.sample_id) for o in runs[0].samples["L2"]]
    page = tab.open(url(seed_site, "#/samples?level=L2"))
    page.locator("table.list tbody tr a").first.click()
    page.wait_for_selector(".runpanel")
    assert page.locator("h1").inner_text() == f"L2 sample {ids[0]}"
    assert f"1 of {len(ids)} in the filter" in page.locator("p.nav").inner_text()
    page.click("#next")
    page.wait_for_function(f"document.querySelector('h1').textContent === 'L2 sample {ids[1]}'")
    page.wait_for_selector(".runpanel")
    assert "level=L2" in page.url
    page.click("#prev")
    page.wait_for_function(f"document.querySelector('h1').textContent === 'L2 sample {ids[0]}'")


def test_missing_media_show_a_placeholder_and_are_counted(
    lmms_runs: dict[str, Path], broken_root: Path, tmp_path: Path, tab: Page
) -> None:
    from browser_site import cli

    sample = next(s for s in load_split(broken_root, "validation_L1") if str(s.sample_id) == HUGE_ID)
    sample.video_path(broken_root).unlink()
    out = tmp_path / "site"
    rc, so, se = cli("report", f"B={lmms_runs['B']}", "--root", broken_root, "--html", "--out", out)
    assert rc == 0, se
    assert ", 1 missing;" in so
    assert (
        f"browser: 1 media files missing or unreadable (placeholders shown); first: {sample.video_relpath}"
        in se
    )
    page = tab.open((out / "index.html").as_uri() + f"#/sample/L1/{HUGE_ID}")
    page.wait_for_selector(".runpanel")
    assert f"media missing: {sample.video_relpath}" in page.locator(".placeholder").inner_text()


# ------------------------------------------------------------------------------------------- untrusted text


def test_planted_markup_is_shown_as_text_and_never_runs(seed_site: dict[str, Any], tab: Page) -> None:
    runs, _ = load_runs(seed_site["runs"][:1])
    other = next(str(o.sample_id) for o in runs[0].samples["L2"])
    page = tab.open(url(seed_site, f"#/sample/L2/{other}"))
    page.wait_for_selector(".runpanel")
    page.wait_for_timeout(300)  # an onerror handler would have fired by now
    assert page.evaluate("window.__pwned") is None
    planted = page.locator(".runpanel").nth(2)
    assert planted.locator("img, script, .response b").count() == 0
    text = planted.text_content()
    assert "</script><script>window.__pwned = 1</script>" in text
    assert '<img src="x" onerror="window.__pwned = 2">' in text
    planted.locator("details summary", has_text="the prompt this run got").click()
    assert planted.locator("pre.prompt").inner_text().startswith("</script><b>bold?</b> ")
    assert page.locator("pre.prompt b").count() == 0
    assert not any(u.endswith("/x") for u in tab.requests)
    assert_stayed_home(tab, site_base(seed_site))


# ------------------------------------------------------------------------------------------- LongVideoBench


def test_longvideobench_table_three_and_five_options(lvb_site: dict[str, Any], tab: Page) -> None:
    from seedbench_r1.longvideobench.loader import load_lvb

    page = tab.open(url(lvb_site))
    assert check_table(tab, lvb_site["out"] / "table3.csv") == 2 * 7
    questions = load_lvb(lvb_site["root"])
    group = questions[0].duration_key
    n = sum(q.duration_key == group for q in questions)
    tab.open(url(lvb_site, f"#/samples?level=LVB&dur={group}"))
    assert count_text(tab) == f"{n} of {len(questions)} samples"
    q = next(q for q in questions if len(q.candidates) == 5)
    page = tab.open(url(lvb_site, f"#/sample/LVB/{q.id}"))
    page.wait_for_selector(".runpanel")
    assert page.locator("ul.options li").count() == 5
    assert page.locator("ul.options li").nth(4).inner_text().startswith("E. " + q.candidates[4])
    assert page.locator("#detail figure img").count() == 1  # the clip's sheet; no observation image
    assert page.locator("text=Current observation").count() == 0
    tab.shot("sample_longvideobench")
    assert_stayed_home(tab, site_base(lvb_site))


# ------------------------------------------------------------------------------------------- a static host


@pytest.fixture
def served(seed_site: dict[str, Any]) -> Iterator[str]:
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    handler = functools.partial(Quiet, directory=str(seed_site["out"]))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()


def test_the_same_files_serve_from_a_static_host(served: str, tab: Page) -> None:
    page = tab.open(served + f"index.html#/sample/L1/{HUGE_ID}")
    page.wait_for_function(
        "[...document.querySelectorAll('#detail img')].every(i => i.complete && i.naturalWidth > 0)"
    )
    assert page.locator(".runpanel").count() == 3
    assert_stayed_home(tab, served)
