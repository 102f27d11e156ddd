"""Screenshots of what the reviewer and the data engineer see, for README.

    python bench/ui_screenshots.py --mlflow http://127.0.0.1:5000 --prefect http://127.0.0.1:4200 \
        --model memo-memory --version 2

Against running servers (`make stack`, then an update whose flow ran on that Prefect server): the model
version's page in the MLflow UI, then the update's run log and its report artifact in the Prefect UI, each
saved under bench/results/ui/ by headless Chromium (the system's `chromium`, driven by Playwright).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

import httpx
from playwright.sync_api import Page, sync_playwright

OUT = Path(__file__).resolve().parent / "results" / "ui"


def flow_run_of(mlflow: str, model: str, version: str) -> str:
    """The id of the Prefect flow run that registered the version, from its ``prefect_flow_run`` tag."""
    response = httpx.get(
        f"{mlflow}/api/2.0/mlflow/model-versions/get", params={"name": model, "version": version}, timeout=30
    )
    response.raise_for_status()
    tags = {t["key"]: t["value"] for t in response.json()["model_version"].get("tags", [])}
    if "prefect_flow_run" not in tags:
        sys.exit(
            f"version {version} of {model} names no Prefect flow run (registered outside a Prefect server?)"
        )
    return tags["prefect_flow_run"].rstrip("/").rsplit("/", 1)[-1]


def report_artifact_of(prefect: str, flow_run_id: str) -> str:
    response = httpx.post(
        f"{prefect}/api/artifacts/filter",
        json={"artifacts": {"flow_run_id": {"any_": [flow_run_id]}, "type": {"any_": ["markdown"]}}},
        timeout=30,
    )
    response.raise_for_status()
    [artifact] = [a for a in response.json() if str(a.get("key", "")).startswith("knowledge-update-")]
    return str(artifact["id"])


def shoot(page: Page, url: str, anchor: str, path: Path) -> None:
    """Open ``url``, bring ``anchor`` (a text on the page) into view and save the viewport at ``path``."""
    page.goto(url)
    page.locator("main, #root, body").first.wait_for()
    target = page.get_by_text(anchor).first
    for _ in range(60):  # a long run log loads as it scrolls
        if target.count():
            break
        page.mouse.move(700, 700)
        page.mouse.wheel(0, 2000)
        page.wait_for_timeout(500)
    target.wait_for()
    assistant = page.get_by_role("button", name="Close")  # MLflow's assistant panel, open on a first visit
    if assistant.count():
        assistant.first.click()
    target.scroll_into_view_if_needed()
    page.wait_for_timeout(500)  # let late content (images, fonts) settle
    page.screenshot(path=path)
    print(f"{path}  {url}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--mlflow", default="http://127.0.0.1:5000")
    parser.add_argument("--prefect", default="http://127.0.0.1:4200")
    parser.add_argument("--model", default="memo-memory")
    parser.add_argument("--version", required=True)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        sys.exit("no Chromium found: apt-get install chromium")
    mlflow, prefect = args.mlflow.rstrip("/"), args.prefect.rstrip("/")
    run_id = flow_run_of(mlflow, args.model, args.version)
    artifact_id = report_artifact_of(prefect, run_id)
    args.out.mkdir(parents=True, exist_ok=True)
    pages = {
        "mlflow-version.png": (f"{mlflow}/#/models/{args.model}/versions/{args.version}", "Gate "),
        "prefect-run-log.png": (f"{prefect}/runs/flow-run/{run_id}", "waits for review at"),
        "prefect-report.png": (f"{prefect}/artifacts/artifact/{artifact_id}", "In MLflow:"),
    }
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1400, "height": 1100})
        for name, (url, anchor) in pages.items():
            shoot(page, url, anchor, args.out / name)
        browser.close()
    record = {"pages": {name: url for name, (url, _) in pages.items()}, "version": args.version}
    (args.out / "ui_screenshots.json").write_text(json.dumps(record, indent=2) + "\n")


if __name__ == "__main__":
    main()
