"""The page's contamination view with the soft tier (issue 12): a planted paraphrase shows as its own
category, and its detail shows the passage with the aligned words marked beside the pairs; a sibling
of a copied item is clean and its detail says which item the passage went to; the
HTML report downloaded from the page holds the soft section. Skips like test_web_browser.py."""

from __future__ import annotations

import importlib
import inspect
import json
import shutil
import tempfile
from pathlib import Path

import pytest
from test_contamination_soft import ORIG, PARA
from test_soft_attribution import CASE, CASE_PARA, COPIED, SHOCK, SIBLING
from web_helpers import http_server

import tracer
from tracer.server.limits import Limits

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (pip install -e '.[dev]')")
if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
    pytest.skip("chromium/chromedriver absent: apt-get install chromium chromium-driver (CI does)",
                allow_module_level=True)

from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402


@pytest.mark.parametrize("with_model", [False, True])
def test_soft_category_and_aligned_words(tmp_path, request, with_model):
    """With a server started with a sentence model, the page offers it (checked), the check uses it,
    and the detail shows both scores."""
    texts = [inspect.getsource(importlib.import_module(m)) for m in ("argparse", "textwrap", "difflib", "shlex")]
    texts[1] = texts[1][:4000] + "\n\n" + PARA + "\n\n" + texts[1][4000:]
    texts[2] = texts[2][:3000] + "\n\n" + COPIED + "\n\n" + texts[2][3000:]  # item 2 copied: its sibling 3 is not
    texts[3] = texts[3][:3000] + "\n\n" + CASE_PARA + "\n\n" + texts[3][3000:]  # item 4 rephrased; item 5's words in it
    (tmp_path / "c.jsonl").write_text("".join(json.dumps({"id": f"d{i}", "text": t}) + "\n" for i, t in enumerate(texts)))
    tracer.build([str(tmp_path / "c.jsonl")], str(tmp_path / "idx"), id_field="id", progress=False)
    bench = tmp_path / "walks_test.jsonl"
    bench.write_text(json.dumps({"question": ORIG, "answer": "#### 1500"}) + "\n"
                     + json.dumps({"question": "Purple giraffes juggle lemons at midnight near the old mill; "
                                               "how many lemons fall?", "answer": "#### 3"}) + "\n"
                     + json.dumps({"question": COPIED, "answer": "B"}) + "\n"
                     + json.dumps({"question": SIBLING, "answer": "C"}) + "\n"
                     + json.dumps({"question": CASE, "answer": "No"}) + "\n"
                     + json.dumps({"question": SHOCK, "answer": "yes"}) + "\n")
    profile = tempfile.mkdtemp(prefix="tracer-chromium-")
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-dev-shm-usage",
                 f"--user-data-dir={profile}", "--window-size=1280,900"):
        opts.add_argument(flag)
    driver = webdriver.Chrome(service=webdriver.ChromeService(executable_path=CHROMEDRIVER), options=opts)
    try:
        models = (request.getfixturevalue("minilm"),) if with_model else ()
        with http_server(tracer.open(tmp_path / "idx"), limits=Limits(soft_models=models)) as srv:
            driver.get(srv.url + "/#tab=contamination")
            WebDriverWait(driver, 20).until(lambda d: d.find_element(By.ID, "contam-file").is_displayed())
            assert driver.find_element(By.ID, "contam-model-label").is_displayed() == with_model
            driver.find_element(By.ID, "contam-soft").click()
            driver.find_element(By.ID, "contam-file").send_keys(str(bench))
            driver.find_element(By.ID, "contam-run").click()
            WebDriverWait(driver, 30).until(lambda d: "done" in d.find_element(By.ID, "contam-progress").text)
            rows = driver.find_elements(By.CSS_SELECTOR, "#contam-table tbody tr")
            cats = {r.find_elements(By.TAG_NAME, "td")[0].text: r.find_elements(By.TAG_NAME, "td")[2].text for r in rows}
            assert cats["0"] == "soft" and cats["1"] == cats["3"] == "clean" and cats["2"] not in ("clean", "soft"), cats
            assert cats["4"] == "soft" and cats["5"] == "clean", cats
            next(r for r in rows if r.find_elements(By.TAG_NAME, "td")[0].text == "3").click()
            note = driver.find_element(By.CSS_SELECTOR, "#contam-detail .soft-note").text
            assert "fits item" in note and "#2 better" in note, note
            if not with_model:
                driver.save_screenshot(str(tmp_path / "soft-note.png"))
                print(f"screenshot: {tmp_path / 'soft-note.png'}")
                # a short question inside item 4's rephrasing: taken by evidence, and the note says so
                next(r for r in rows if r.find_elements(By.TAG_NAME, "td")[0].text == "5").click()
                note = driver.find_element(By.CSS_SELECTOR, "#contam-detail .soft-note").text
                assert "lies inside a match of item" in note and "#4 (it aligns" in note, note
                driver.save_screenshot(str(tmp_path / "soft-evidence.png"))
                print(f"screenshot: {tmp_path / 'soft-evidence.png'}")
            next(r for r in rows if r.find_elements(By.TAG_NAME, "td")[0].text == "0").click()
            soft = driver.find_element(By.CSS_SELECTOR, "#contam-detail .soft-match")
            assert "Soft match" in soft.text and "d1" in soft.text
            assert ("model 0." in soft.text) == with_model, soft.text
            if with_model:
                driver.save_screenshot(str(tmp_path / "soft-model.png"))
                print(f"screenshot: {tmp_path / 'soft-model.png'}")
            marked = [m.text for m in soft.find_elements(By.CSS_SELECTOR, "mark.al")]
            assert "Marisol" in marked and "25" in marked
            pairs = [[td.text for td in tr.find_elements(By.TAG_NAME, "td")]
                     for tr in soft.find_elements(By.CSS_SELECTOR, "table.pairs tr")][1:]
            assert ["Marisol", "Marisol"] in pairs
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
