"""Trace render time in a real browser (issue 14 target: a 450-token trace on the >= 100M-token
index rendered <= 300 ms after submit): server time + transfer + render, as the page itself
measures it (``data-render-ms`` on the output: from the submit handler to the last DOM write).

Serves the index over HTTP in this process, drives headless Debian chromium with selenium, traces
``--texts`` model-like texts (corpus passages and filler, benchmarks.suites.bench_trace) after a
warm pass, and prints JSON with p50/p90.

    python -m benchmarks.scripts.web_trace_render --index ../bench/idx-linux-bytes
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import tempfile
import time

import numpy as np
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

import tracer
from benchmarks.common import bench_index
from benchmarks.suites.bench_trace import model_like_text
from tracer.server.http.server import HttpServer
from tracer.server.registry import IndexRegistry


def browser(profile: str) -> webdriver.Chrome:
    opts = webdriver.ChromeOptions()
    opts.binary_location = "/usr/bin/chromium"
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", f"--user-data-dir={profile}", "--window-size=1280,900"):
        opts.add_argument(flag)
    return webdriver.Chrome(service=webdriver.ChromeService(executable_path="/usr/bin/chromedriver"), options=opts)


def trace_once(driver: webdriver.Chrome, text: str) -> dict:
    driver.execute_script("const o = document.getElementById('trace-output'); delete o.dataset.renderMs;"
                          "document.getElementById('trace-text').value = arguments[0];", text)
    driver.find_element(By.ID, "trace-submit").click()
    WebDriverWait(driver, 60).until(lambda d: d.find_element(By.ID, "trace-output").get_attribute("data-render-ms"))
    ms = float(driver.find_element(By.ID, "trace-output").get_attribute("data-render-ms"))
    marks = len(driver.find_elements(By.CSS_SELECTOR, "#trace-output mark"))
    return {"ms": ms, "marks": marks, "timing": driver.find_element(By.ID, "trace-timing").text}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--index", default=bench_index())
    ap.add_argument("--tokens", type=int, default=450)
    ap.add_argument("--texts", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    index = tracer.open(args.index)
    texts = [model_like_text(index, args.tokens, seed) for seed in range(args.texts)]
    profile = tempfile.mkdtemp(prefix="tracer-bench-chromium-")
    with HttpServer(IndexRegistry.of({"bench": index}), "127.0.0.1", 0).start() as server:
        driver = browser(profile)
        try:
            driver.get(f"{server.url}/#tab=trace")
            WebDriverWait(driver, 30).until(lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-ready"))
            for t in texts:  # warm: pages of the index, numba dispatch, the browser's JIT
                trace_once(driver, t)
            runs = [trace_once(driver, t) for _ in range(args.rounds) for t in texts]
        finally:
            driver.quit()
            shutil.rmtree(profile, ignore_errors=True)
    ms = [r["ms"] for r in runs]
    print(json.dumps({"index": args.index, "n_tokens": index.n_tokens, "text_tokens": args.tokens, "runs": len(ms),
                      "p50_ms": statistics.median(ms), "p90_ms": float(np.percentile(ms, 90)), "max_ms": max(ms),
                      "marks_p50": statistics.median(r["marks"] for r in runs), "example": runs[0]["timing"],
                      "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}, indent=2))


if __name__ == "__main__":
    main()
