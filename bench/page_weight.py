"""Bytes a phone downloads for a page, with and without responsive images.

Builds the demo (plus the first user's seed post with its photo, when ../shared is
there) twice, `images = false` and the default, serves each on loopback and opens the
pages in Debian chromium at 375 px wide (device pixel ratio 2, like most phones),
scrolled to the bottom so that lazy images load too. Counts the bytes on the wire
(Chrome's encodedDataLength) per page.

    python bench/page_weight.py [--pages / /posts/seed-post/ ...] [--set image_widths=[...]]
"""

from __future__ import annotations

import argparse
import functools
import http.server
import re
import shutil
import tempfile
import threading
from pathlib import Path

from masthead.config import load_config
from masthead.pipeline import build_site

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "examples" / "demo"
SHARED = ROOT.parent / "shared"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]


def prepare(folder: Path) -> Path:
    site = folder / "site"
    shutil.copytree(DEMO, site, ignore=shutil.ignore_patterns(".masthead", "dist"))
    seed = SHARED / "examples" / "seed-post.md"
    photo = SHARED / "corpora" / "oiradcongress" / "public" / "images" / "posts" / "omon.jpg"
    if seed.is_file() and photo.is_file():
        text = re.sub(r"^author: .*$", 'author: "Aylana Badmaeva"', seed.read_text(), count=1,
                      flags=re.M)
        (site / "content" / "posts" / "en" / "seed-post.md").write_text(text)
        (site / "public" / "images" / "posts").mkdir(parents=True, exist_ok=True)
        shutil.copyfile(photo, site / "public" / "images" / "posts" / "omon.jpg")
    return site


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def serve(folder: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def weigh(browser: object, url: str) -> tuple[int, int]:
    """(bytes on the wire, requests) for one page opened on a phone-sized screen."""
    context = browser.new_context(viewport={"width": 375, "height": 800},  # type: ignore[attr-defined]
                                  device_scale_factor=2)
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    totals = {"bytes": 0, "requests": 0}

    def finished(event: dict[str, float]) -> None:
        totals["bytes"] += int(event["encodedDataLength"])
        totals["requests"] += 1

    cdp.on("Network.loadingFinished", finished)
    page.goto(url, wait_until="networkidle")
    for image in page.locator("img").all():
        image.scroll_into_view_if_needed()
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(300)
    context.close()
    return totals["bytes"], totals["requests"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", nargs="*", default=["/", "/posts/river-delta-drying/",
                                                        "/posts/seed-post/"])
    parser.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="a setting of the responsive build (TOML value), to compare "
                             "image settings")
    args = parser.parse_args()
    chosen = dict(item.split("=", 1) for item in args.set)
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        site = prepare(Path(tmp))
        outputs = {}
        for label, overrides in (("original images", {"images": "false"}),
                                 ("responsive images", chosen)):
            out = Path(tmp) / label.replace(" ", "-")
            build_site(load_config(site, overrides), out)
            outputs[label] = out
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=args.chromium, args=CHROMIUM_ARGS)
            results = {}
            for label, out in outputs.items():
                server, base = serve(out)
                results[label] = {page: weigh(browser, base + page) for page in args.pages}
                server.shutdown()
            browser.close()
    before, after = results["original images"], results["responsive images"]
    print(f"{'page (375 px, DPR 2)':34} {'before':>12} {'after':>12} {'saved':>7}")
    for page in args.pages:
        b, a = before[page][0], after[page][0]
        print(f"{page:34} {b / 1024:9.1f} KiB {a / 1024:9.1f} KiB {1 - a / b:6.0%}")


if __name__ == "__main__":
    main()
