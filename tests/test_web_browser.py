"""The page in a real browser (Debian's chromium driven by selenium): trace a planted passage and
see its highlight and document, filter by a span, upload a benchmark and see the table, and
hostile documents rendered as text with nothing run. Every run takes a screenshot of each view;
they go to $TRACER_SCREENSHOTS when set (``TRACER_SCREENSHOTS=docs/screenshots`` refreshes the
README's), else to a temporary folder, so a test run leaves the checkout unchanged."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import pytest
from web_helpers import BENCH_PLANTED, PLANTED_A, PLANTED_B, XSS, build_index, http_server

TOKEN = "page-" + "t" * 24

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
SHOTS = Path(os.environ.get("TRACER_SCREENSHOTS") or tempfile.mkdtemp(prefix="tracer-screenshots-"))

webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (pip install -e '.[dev]')")
if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
    pytest.skip("chromium/chromedriver absent: apt-get install chromium chromium-driver (CI does)",
                allow_module_level=True)

from selenium.common.exceptions import NoAlertPresentException  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions as ec  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    return build_index(tmp_path_factory.mktemp("web"))


@pytest.fixture(scope="module")
def server(index):
    with http_server(index) as srv:
        yield srv


@pytest.fixture(scope="module")
def driver():
    profile = tempfile.mkdtemp(prefix="tracer-chromium-")
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", f"--user-data-dir={profile}", "--window-size=1280,900"):
        opts.add_argument(flag)
    drv = webdriver.Chrome(service=webdriver.ChromeService(executable_path=CHROMEDRIVER), options=opts)
    drv.set_page_load_timeout(30)
    yield drv
    drv.quit()
    shutil.rmtree(profile, ignore_errors=True)


def wait(driver, cond, timeout=20):
    return WebDriverWait(driver, timeout).until(cond)


def shot(driver, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    driver.save_screenshot(str(path))
    try:  # a 256-colour palette keeps the committed PNGs small (pillow comes with matplotlib)
        from PIL import Image

        with Image.open(path) as img:
            small = img.convert("RGB").quantize(colors=256)
        small.save(path, optimize=True)
    except ImportError:
        pass


def open_page(driver, server, fragment: str) -> None:
    driver.get("about:blank")  # a new fragment alone would not reload the page
    driver.get(f"{server.url}/#{fragment}")
    wait(driver, lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-ready") == "1")


def no_script_ran(driver) -> None:
    assert driver.execute_script("return window.__xss") is None
    with pytest.raises(NoAlertPresentException):
        driver.switch_to.alert.text  # noqa: B018


def trace(driver, text: str) -> None:
    box = driver.find_element(By.ID, "trace-text")
    box.clear()
    box.send_keys(text)
    driver.find_element(By.ID, "trace-submit").click()
    wait(driver, lambda d: d.find_element(By.ID, "trace-output").get_attribute("data-render-ms"))


def test_trace_highlights_planted_passages_and_filters_by_span(driver, server):
    open_page(driver, server, "tab=trace")
    text = f"The model wrote: {PLANTED_A}.\nThen it added that {PLANTED_B}.\nNothing else."
    trace(driver, text)
    marks = driver.find_elements(By.CSS_SELECTOR, "#trace-output mark")
    marked = " ".join(m.text for m in marks)
    assert "quartz heron folded seven paper lanterns" in marked and "violet engine hummed" in marked
    assert "Nothing else" not in marked
    docs = driver.find_element(By.ID, "trace-docs")
    assert "planted-a" in docs.text and "planted-b" in docs.text
    bold = [b.text for b in docs.find_elements(By.TAG_NAME, "b")]  # the matched span in each snippet
    assert any("quartz heron" in b for b in bold)
    assert "text=" in driver.current_url  # shareable: the text is in the URL
    shot(driver, "trace")
    next(m for m in marks if "quartz" in m.text).click()
    items = driver.find_elements(By.CSS_SELECTOR, "#trace-docs > li")
    assert [li.get_attribute("data-doc") for li in items] and all("planted-a" in li.text for li in items)
    assert "planted-b" not in driver.find_element(By.ID, "trace-docs").text
    driver.find_element(By.ID, "trace-clear").click()
    assert "planted-b" in driver.find_element(By.ID, "trace-docs").text
    # the document view: long context with the match in bold, metadata as JSON
    next(li for li in driver.find_elements(By.CSS_SELECTOR, "#trace-docs > li") if "planted-a" in li.text) \
        .find_element(By.XPATH, ".//button[text()='open document']").click()
    wait(driver, ec.visibility_of_element_located((By.ID, "doc-dialog")))
    wait(driver, lambda d: "intro words" in d.find_element(By.ID, "doc-text").text)
    assert PLANTED_A in driver.find_element(By.CSS_SELECTOR, "#doc-text b").text
    assert json.loads(driver.find_element(By.ID, "doc-meta").text)["topic"] == "story"
    shot(driver, "document")
    driver.find_element(By.ID, "doc-close").click()


def test_shared_url_reproduces_the_trace(driver, server):
    open_page(driver, server, "tab=trace&text=" + PLANTED_B.replace(" ", "%20"))
    wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#trace-output mark"))
    assert "planted-b" in driver.find_element(By.ID, "trace-docs").text


def test_search_count_and_find(driver, server):
    open_page(driver, server, "tab=search")
    q = driver.find_element(By.ID, "search-query")
    q.send_keys("plain filler text")
    driver.find_element(By.ID, "search-count").click()
    wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#search-tokens .tokens span"))
    assert driver.find_element(By.ID, "search-count-value").text == "40"
    wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#search-tokenize .variant"))
    variants = driver.find_elements(By.CSS_SELECTOR, "#search-tokenize .variant")
    assert [v.get_attribute("data-spelling") for v in variants] == ["as typed"]  # bytes: one spelling
    toks = [t.find_element(By.TAG_NAME, "code").text for t in variants[0].find_elements(By.CLASS_NAME, "tok")]
    assert "".join(toks) == "plain␣filler␣text"
    assert [t.find_element(By.TAG_NAME, "sub").text for t in variants[0].find_elements(By.CLASS_NAME, "tok")][:2] \
        == [str(ord("p")), str(ord("l"))]
    shot(driver, "search-count")
    driver.find_element(By.ID, "search-find").click()
    wait(driver, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#search-occurrences li")) == 10)
    assert "1–10 of 40" in driver.find_element(By.ID, "search-position").text
    driver.find_element(By.ID, "search-next").click()
    wait(driver, lambda d: "11–20 of 40" in d.find_element(By.ID, "search-position").text)
    assert "page=1" in driver.current_url
    shot(driver, "search-find")


def test_contamination_upload_shows_the_table(driver, server, tmp_path):
    bench = tmp_path / "zorb_test.jsonl"
    rows = [{"question": BENCH_PLANTED, "answer": "Cuprum City"},
            {"question": "An unrelated question about purple giraffes who juggle lemons at midnight?", "answer": "no"}]
    bench.write_text("".join(json.dumps(r) + "\n" for r in rows))
    open_page(driver, server, "tab=contamination")
    driver.find_element(By.ID, "contam-file").send_keys(str(bench))
    driver.find_element(By.ID, "contam-run").click()
    wait(driver, lambda d: "done" in d.find_element(By.ID, "contam-progress").text)
    body = driver.find_elements(By.CSS_SELECTOR, "#contam-table tbody tr")
    assert len(body) == 2
    first = body[0].find_elements(By.TAG_NAME, "td")  # sorted by coverage, highest first
    assert (first[0].text, first[2].text, first[3].text) == ("0", "dirty", "100.0%"), [td.text for td in first]
    assert body[1].find_elements(By.TAG_NAME, "td")[2].text == "clean"
    driver.find_element(By.CSS_SELECTOR, "#contam-table th[data-key='coverage']").click()  # sort ascending
    assert driver.find_elements(By.CSS_SELECTOR, "#contam-table tbody tr td")[0].text == "1"
    body = driver.find_elements(By.CSS_SELECTOR, "#contam-table tbody tr")
    body[1].click()
    detail = driver.find_element(By.ID, "contam-detail")
    assert "bench-leak" in detail.text and "Zorblandia" in detail.text
    # the report's histograms: one item fully covered (last bin), the other barely (first bins)
    hists = driver.find_elements(By.CSS_SELECTOR, "#contam-histograms .hists figure")
    assert len(hists) == 2
    counts = [int(b.get_attribute("data-count")) for b in hists[0].find_elements(By.CLASS_NAME, "hbar")]
    assert len(counts) == 20 and sum(counts) == 2 and counts[-1] == 1
    shot(driver, "contamination")
    # the reports download (rendered by the server's report code), never shown in the page
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    url = driver.current_url
    for fmt, marker in (("html", "<h1>Contamination report</h1>"), ("md", "|"), ("json", '"conda"')):
        driver.find_element(By.CSS_SELECTOR, f".contam-report[data-format='{fmt}']").click()
        path = downloads / f"contamination.{fmt}"
        wait(driver, lambda d, p=path: p.exists() and p.stat().st_size > 0)
        assert marker in path.read_text()
    assert driver.current_url == url


def test_hostile_documents_render_as_text(driver, server):
    open_page(driver, server, "tab=search")
    for marker, payload in (("xss-marker-one", "<script>"), ("xss-marker-two", "onerror="),
                            ("xss-marker-three", "javascript:")):
        q = driver.find_element(By.ID, "search-query")
        q.clear()
        q.send_keys(marker)
        driver.find_element(By.ID, "search-find").click()
        wait(driver, lambda d, m=marker: m in d.find_element(By.ID, "search-occurrences").text)
        occ = driver.find_element(By.ID, "search-occurrences")
        assert payload in occ.text and "onerror" in occ.text  # the id, shown as text too
        assert not occ.find_elements(By.CSS_SELECTOR, "script, img, a[href]")
        no_script_ran(driver)
    occ.find_element(By.XPATH, ".//button[text()='open document']").click()
    wait(driver, ec.visibility_of_element_located((By.ID, "doc-dialog")))
    wait(driver, lambda d: "xss-marker-three" in d.find_element(By.ID, "doc-text").text)
    assert "<script>window.__xss='meta'</script>" in driver.find_element(By.ID, "doc-meta").text
    assert not driver.find_element(By.ID, "doc-dialog").find_elements(By.CSS_SELECTOR, "script, img, a[href]")
    no_script_ran(driver)
    shot(driver, "hostile-document")
    driver.find_element(By.ID, "doc-close").click()
    driver.find_element(By.CSS_SELECTOR, "#tabs button[data-tab='trace']").click()
    trace(driver, " ".join(XSS))
    assert driver.find_elements(By.CSS_SELECTOR, "#trace-output mark")
    no_script_ran(driver)
    assert not driver.find_element(By.ID, "view-trace").find_elements(By.CSS_SELECTOR, "script, img, a[href]")


def test_index_view(driver, server):
    open_page(driver, server, "tab=index")
    wait(driver, lambda d: "documents" in d.find_element(By.ID, "index-info").text)
    facts = driver.find_element(By.ID, "index-info").text
    assert "46" in facts  # 40 fillers + 3 planted + 3 hostile
    shot(driver, "index")


def test_token_is_asked_for_and_sent(driver, index):
    with http_server(index, token=TOKEN) as srv:
        driver.get("about:blank")
        driver.get(f"{srv.url}/#tab=index")
        form = wait(driver, ec.visibility_of_element_located((By.ID, "token-form")))
        form.find_element(By.ID, "token-input").send_keys(TOKEN)
        form.find_element(By.TAG_NAME, "button").click()
        wait(driver, lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-ready") == "1")
        assert "46" in driver.find_element(By.ID, "index-info").text
        assert driver.execute_script("return sessionStorage.getItem('tracer.token')") == TOKEN


REPEATED = "the amber tortoise counted eleven silver pebbles near the windmill"


def test_repeated_documents_are_grouped_with_a_count(driver, tmp_path):
    """Three identical copies under different ids are one panel entry (×3); a fourth document with
    the same passage in other words around it stays its own entry."""
    import tracer

    recs = [{"id": f"copy-{i}", "text": f"shared intro. {REPEATED}. shared outro"} for i in range(3)]
    recs += [{"id": "other-context", "text": f"a different start. {REPEATED}. a different end"}]
    recs += [{"id": f"fill-{i}", "text": f"filler sentence number {i} about nothing much"} for i in range(8)]
    (tmp_path / "d.jsonl").write_text("".join(json.dumps(r) + "\n" for r in recs))
    tracer.build([str(tmp_path / "d.jsonl")], str(tmp_path / "idx"), id_field="id", progress=False)
    with http_server(tracer.open(tmp_path / "idx")) as srv:
        open_page(driver, srv, "tab=trace")
        trace(driver, f"It said {REPEATED} today.")
        items = driver.find_elements(By.CSS_SELECTOR, "#trace-docs > li")
        assert sorted(li.get_attribute("data-copies") for li in items) == ["1", "3"]
        grouped = next(li for li in items if li.get_attribute("data-copies") == "3")
        assert "×3 identical documents" in grouped.text
        ids = grouped.find_element(By.CLASS_NAME, "copies").get_attribute("title").split("\n")
        assert sorted(ids) == ["copy-0", "copy-1", "copy-2"]
        assert "other-context" in next(li for li in items if li.get_attribute("data-copies") == "1").text
        shot(driver, "trace-grouped")


def test_server_benchmark_runs_without_upload(driver, index, tmp_path):
    from tracer.server.http.web import load_benchmarks

    bench = tmp_path / "zorb_test.jsonl"
    bench.write_text(json.dumps({"question": BENCH_PLANTED, "answer": "Cuprum City"}) + "\n"
                     + json.dumps({"question": "Why do purple giraffes juggle lemons at midnight?", "answer": "no"}) + "\n")
    with http_server(index, benchmarks=load_benchmarks([f"zorb={bench}"], 100)) as srv:
        open_page(driver, srv, "tab=contamination")
        wait(driver, ec.visibility_of_element_located((By.ID, "contam-presets")))
        options = [o.text for o in driver.find_elements(By.CSS_SELECTOR, "#contam-preset option")]
        assert options == ["zorb (2 items)"]
        driver.find_element(By.ID, "contam-run-preset").click()
        wait(driver, lambda d: "done" in d.find_element(By.ID, "contam-progress").text)
        assert "zorb" in driver.find_element(By.ID, "contam-progress").text
        cats = sorted(tr.find_elements(By.TAG_NAME, "td")[2].text
                      for tr in driver.find_elements(By.CSS_SELECTOR, "#contam-table tbody tr"))
        assert cats == ["clean", "dirty"]
        assert "bench=zorb" in driver.current_url
        shot(driver, "contamination-server-benchmark")
        open_page(driver, srv, "tab=contamination&bench=zorb")  # a shared link runs it again
        wait(driver, lambda d: "done" in d.find_element(By.ID, "contam-progress").text)
        assert len(driver.find_elements(By.CSS_SELECTOR, "#contam-table tbody tr")) == 2


def test_search_shows_both_bpe_spellings(driver, tmp_path, bpe_tokenizer):
    """Oracle: the `tokenizers` library on the query and on " " + query."""
    from tokenizers import Tokenizer

    import tracer

    (tmp_path / "c.jsonl").write_text(json.dumps({"id": "a", "text": "the cat sat on the mat"}) + "\n")
    tracer.build([str(tmp_path / "c.jsonl")], str(tmp_path / "idx"), id_field="id", tokenizer=str(bpe_tokenizer),
                 progress=False)
    lib = Tokenizer.from_file(str(bpe_tokenizer))
    with http_server(tracer.open(tmp_path / "idx")) as srv:
        open_page(driver, srv, "tab=search")
        driver.find_element(By.ID, "search-query").send_keys("cat sat")
        driver.find_element(By.ID, "search-count").click()
        wait(driver, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#search-tokenize .variant")) == 2)
        shown = [[(t.find_element(By.TAG_NAME, "code").text, int(t.find_element(By.TAG_NAME, "sub").text))
                  for t in v.find_elements(By.CLASS_NAME, "tok")]
                 for v in driver.find_elements(By.CSS_SELECTOR, "#search-tokenize .variant")]
        for got, text in zip(shown, ("cat sat", " cat sat"), strict=True):
            ids = lib.encode(text, add_special_tokens=False).ids
            assert [i for _, i in got] == ids
            assert [t for t, _ in got] == [lib.decode([i]).replace(" ", "␣") for i in ids]
        assert shown[1][0][0].startswith("␣")
        shot(driver, "search-tokenization")
