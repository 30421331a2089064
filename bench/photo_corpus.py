#!/usr/bin/env python3
"""A site of 84 stories, each with its own photo of 1 to 4 megapixels, for timing the
image variants of a first build.

The photos are made from the first user's real photographs (``../shared/corpora/
oiradcongress/public``): crops of each at three sizes, so that every file is distinct
and as hard to encode as a photograph (generated pictures encode faster than real ones).

    python bench/photo_corpus.py /tmp/photos84
    masthead build /tmp/photos84 --no-search --timings     # no .masthead/: a first build
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PHOTOS = REPO.parent / "shared" / "corpora" / "oiradcongress" / "public"
SIZES = ((1280, 853), (2000, 1333), (2400, 1600))  # 1.1, 2.7 and 3.8 megapixels
COUNT = 84


def make(site: Path) -> int:
    from PIL import Image, ImageOps

    sources = []
    for path in sorted(PHOTOS.rglob("*")):
        if path.suffix.lower() in (".jpg", ".jpeg"):
            with Image.open(path) as image:
                if image.width >= 1200:
                    sources.append(path)
    if not sources:
        raise SystemExit(f"no photographs under {PHOTOS}")
    (site / "content" / "posts").mkdir(parents=True, exist_ok=True)
    (site / "public" / "photos").mkdir(parents=True, exist_ok=True)
    (site / "content" / "authors").mkdir(parents=True, exist_ok=True)
    (site / "content" / "categories").mkdir(parents=True, exist_ok=True)
    (site / "masthead.toml").write_text('title = "Photo desk"\n'
                                        'base_url = "https://photos.example.org/"\n')
    (site / "content" / "authors" / "ann.md").write_text('---\nname: "Ann Lee"\n---\n')
    (site / "content" / "categories" / "news.md").write_text('---\nname: "News"\n---\n')
    for n in range(COUNT):
        source = sources[n % len(sources)]
        width, height = SIZES[(n // len(sources) + n) % len(SIZES)]
        with Image.open(source) as opened:
            image = ImageOps.exif_transpose(opened).convert("RGB")
        # A crop whose place depends on n, scaled up or down to the size wanted.
        shift = (n * 37) % 20 / 100
        box = (int(image.width * shift / 2), int(image.height * shift / 3),
               int(image.width * (1 - shift / 2)), int(image.height * (1 - shift / 4)))
        photo = ImageOps.fit(image.crop(box), (width, height), Image.Resampling.LANCZOS)
        photo.save(site / "public" / "photos" / f"photo-{n:02d}.jpg", quality=88)
        (site / "content" / "posts" / f"story-{n:02d}.md").write_text(
            f'---\ntitle: "Story {n}"\ndate: "2024-{1 + n % 12:02d}-{1 + n % 28:02d}'
            f'T10:00:00+00:00"\nauthor: "Ann Lee"\ncategory: "News"\n'
            f'image: "/photos/photo-{n:02d}.jpg"\ndescription: "A photo story."\n---\n'
            "Words about the picture.\n")
    return COUNT


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("site", type=Path, help="the folder to write the site into")
    args = parser.parse_args()
    if args.site.exists() and any(args.site.iterdir()):
        sys.exit(f"{args.site} is not empty")
    print(f"{make(args.site)} photos in {args.site}")


if __name__ == "__main__":
    main()
