"""Responsive images: smaller AVIF and WebP copies of the site's own pictures.

A reader on a slow phone should download a 640-pixel AVIF of 25 KB, not the 1.7 MB
JPEG the photographer sent. For every local image that a page shows, Pillow makes
width variants (never wider than the original) in the configured formats; pages offer
them through ``<picture>``/``srcset`` with the original as the fallback.

Encoding is the slowest thing a build does (about 0.75 s per photo), so variants are
kept in a cache folder under names made from a hash of the source's bytes and the
encoder settings: a second build, a renamed file or another output folder re-encodes
nothing. Only images that are used get variants, in parallel over the cores.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from masthead.media import PIXEL_LIMIT, PublicFiles, header_size, tolerant
from masthead.output import write_atomic
from masthead.parallel import default_jobs, fork_map

UNDECODED = "could not be decoded"  # how a failure to read an image's pixels begins
ENCODER = "1"  # bump when the encoding changes, so that cached variants are made again
# (AVIF speed, WebP method) by image_encoding. "small": AVIF speed 8 takes 0.75 s per
# 3600-px photo instead of 1.45 s at Pillow's default of 6. "fast": AVIF 3.3x and WebP
# 2.3x faster, for 9% and 3.5% more bytes at the same quality.
ENCODINGS = {"small": (8, 4), "fast": (9, 2)}  # the names of config.IMAGE_ENCODINGS
RASTER = {".jpg", ".jpeg", ".png", ".webp", ".tif", ".tiff", ".bmp"}  # GIFs may be animated
MIME = {"avif": "image/avif", "webp": "image/webp"}
FORMATS = tuple(MIME)
INDEX = "index.json"
ICON_WIDTHS = (32, 180)  # the tab's icon, and the one a phone puts on its home screen
VARIANT_PATH = re.compile(r"_img/(?:[A-Za-z0-9_-]+-)?([0-9a-f]{10})-([0-9]{1,5})\.([a-z]+)")

Progress = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class ImageSettings:
    widths: tuple[int, ...] = (320, 640, 960, 1440)
    formats: tuple[str, ...] = ("avif", "webp")
    webp_quality: int = 75
    avif_quality: int = 55
    encoding: str = "small"

    def quality(self, fmt: str) -> int:
        return self.avif_quality if fmt == "avif" else self.webp_quality


@dataclass(frozen=True, slots=True)
class Variant:
    fmt: str
    width: int
    rel: str  # where it goes in the output: _img/<stem>-<id>-<width>.<fmt>
    cache_name: str  # its file in the cache folder


@dataclass(frozen=True, slots=True)
class ImageSet:
    """One source image, its displayed size and the variants made of it."""

    url: str
    source: Path
    width: int
    height: int
    variants: tuple[Variant, ...]

    def srcsets(self) -> tuple[tuple[str, str], ...]:
        """(MIME type, srcset) per format, best format first."""
        result = []
        for fmt in dict.fromkeys(v.fmt for v in self.variants):
            srcset = ", ".join(f"/{v.rel} {v.width}w" for v in self.variants if v.fmt == fmt)
            result.append((MIME[fmt], srcset))
        return tuple(result)


@dataclass
class EncodeResult:
    images: int = 0  # sources that needed at least one new variant
    variants: int = 0  # files encoded
    failures: list[tuple[str, str]] = field(default_factory=list)  # (url, reason)


def cache_folder(site_root: Path) -> Path:
    """``<site>/.masthead/images``, or the user's cache folder when the site is read-only
    (variants are named by content, so sites can share one cache)."""
    folder = site_root / ".masthead" / "images"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        ignore = folder.parent / ".gitignore"
        if not ignore.exists():
            ignore.write_text("# masthead's build cache: safe to delete\n*\n")
        if os.access(folder, os.W_OK):
            return folder
    except OSError:
        pass
    home = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    folder = home / "masthead" / "images"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


class ResponsiveImages:
    """The variants of every image a build uses, by URL."""

    def __init__(self, public: PublicFiles, settings: ImageSettings, cache_dir: Path) -> None:
        self.public = public
        self.settings = settings
        self.cache_dir = cache_dir
        self.sets: dict[str, ImageSet] = {}
        self.icons: dict[str, ImageSet] = {}  # the favicon's small PNGs, by its URL
        self._index_path = cache_dir / INDEX
        self._index: dict[str, list[object]] = _read_index(self._index_path)
        self._index_changed = False
        self._sources: dict[str, tuple[Path, int, int]] = {}  # variant id -> its source
        self._making: dict[str, threading.Lock] = {}  # one lock per variant made on request
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(default_jobs())
        self.too_large: dict[str, tuple[int, int]] = {}  # URL -> (width, height)

    def plan(self, urls: Iterable[str], pixels: Mapping[str, int] | None = None) -> list[str]:
        """Work out the variants of these images (reading each file once, or not at all
        when its size and time are those in the cache's index); return the URLs of the
        files that exist but are not images Pillow can read. ``pixels``: the device pixels
        the widest use of an image needs (none or 0: every width), so that no variant is
        made that no reader would download."""
        pixels = pixels or {}
        unreadable = []
        for url in sorted(set(urls)):
            if url in self.sets:
                continue
            path = self.public.path_of(url)
            if path is None or path.suffix.lower() not in RASTER:
                continue
            facts = self._facts(path)
            if facts is None:
                unreadable.append(url)
                continue
            digest, width, height = facts
            if width * height > PIXEL_LIMIT:
                self.too_large[url] = (width, height)
                continue
            self.sets[url] = ImageSet(url, path, width, height,
                                      self._variants(path, digest, width, pixels.get(url, 0)))
        self._save_index()
        return unreadable

    def plan_icon(self, url: str) -> None:
        """Small PNG copies of a favicon given as a photo or a large picture: every
        first visit downloads it, at a high priority, beside the page's own images."""
        path = self.public.path_of(url)
        if path is None or path.suffix.lower() not in RASTER:
            return
        facts = self._facts(path)
        if facts is None or facts[1] * facts[2] > PIXEL_LIMIT:
            return
        digest, width, height = facts
        ident = hashlib.blake2b(f"{digest}:png:icon:{ENCODER}".encode(),
                                digest_size=5).hexdigest()
        variants = tuple(Variant("png", w, f"_img/favicon-{ident}-{w}.png",
                                 f"{ident}-{w}.png") for w in ICON_WIDTHS if w < width)
        if variants:
            self.icons[url] = ImageSet(url, path, width, height, variants)
        self._save_index()

    def _save_index(self) -> None:
        if self._index_changed:
            write_atomic(self._index_path, json.dumps(self._index).encode())
            self._index_changed = False

    def get(self, url: str) -> ImageSet | None:
        return self.sets.get(url)

    def icon(self, url: str) -> ImageSet | None:
        return self.icons.get(url)

    def outputs(self, made_only: bool = False) -> dict[str, Path]:
        """Output path -> cached file, for every variant of every planned image (or only
        those already made)."""
        return {v.rel: self.cache_dir / v.cache_name
                for image in (*self.sets.values(), *self.icons.values())
                for v in image.variants
                if not made_only or (self.cache_dir / v.cache_name).is_file()}

    def encode(self, jobs: int, progress: Progress | None = None,
               photos: bool = True) -> EncodeResult:
        """Make the variants that are not in the cache yet, one image per task (without
        ``photos``: only the favicon's, the rest being made on request)."""
        todo: list[ImageSet] = []
        scheduled: set[str] = set()
        images = [*self.sets.values(), *self.icons.values()] if photos else \
            list(self.icons.values())
        for image in images:  # two URLs of one file share their variants
            names = {v.cache_name for v in image.variants}
            if names <= scheduled:
                continue
            if any(not (self.cache_dir / name).is_file() for name in names):
                todo.append(image)
                scheduled |= names
        # The largest first: a big photo started last would leave the other cores idle.
        todo.sort(key=lambda image: -sum(v.width for v in image.variants) * image.height
                  / max(1, image.width))
        result = EncodeResult(images=len(todo))
        settings, cache_dir = self.settings, self.cache_dir

        def work(part: range) -> list[tuple[str, int, str]]:
            return [_encode(todo[i], settings, cache_dir) for i in part]

        done = 0
        for answers in fork_map(work, len(todo), jobs, 1, 2):
            for url, count, problem in answers:
                result.variants += count
                if problem:
                    result.failures.append((url, problem))
                done += 1
                if progress:
                    progress(done, len(todo))
        for url, _problem in result.failures:
            self.sets.pop(url, None)
            self.icons.pop(url, None)
        self._drop_larger_than_source()
        return result

    def _drop_larger_than_source(self) -> None:
        """A format whose variants come out no smaller than the original (a small PNG
        icon, a well-compressed JPEG) is not offered for that image: the browser would
        pick it and download more, not less."""
        for url, image in list(self.sets.items()):
            source_bytes = image.source.stat().st_size
            keep: list[Variant] = []
            for fmt in dict.fromkeys(v.fmt for v in image.variants):
                largest = max((v for v in image.variants if v.fmt == fmt),
                              key=lambda v: v.width)
                limit = source_bytes * (largest.width / image.width) ** 2
                made = self.cache_dir / largest.cache_name
                if not made.is_file() or made.stat().st_size < limit:  # (not made: a
                    # preview, whose variants are made on request)
                    keep.extend(v for v in image.variants if v.fmt == fmt)
            if len(keep) != len(image.variants):
                self.sets[url] = ImageSet(image.url, image.source, image.width, image.height,
                                          tuple(keep))

    def _facts(self, path: Path) -> tuple[str, int, int] | None:
        """(content digest, width, height as displayed) of a source image."""
        stat = path.stat()
        key = str(path)
        known = self._index.get(key)
        if known and known[0] == stat.st_size and known[1] == stat.st_mtime_ns:
            return str(known[2]), int(known[3]), int(known[4])  # type: ignore[call-overload]
        size = _display_size(path)
        if size is None:
            return None  # not an image Pillow reads: the page keeps the plain <img>
        digest = hashlib.blake2b(path.read_bytes(), digest_size=12).hexdigest()
        self._index[key] = [stat.st_size, stat.st_mtime_ns, digest, size[0], size[1]]
        self._index_changed = True
        return digest, size[0], size[1]

    def _variants(self, path: Path, digest: str, width: int,
                  pixels: int = 0) -> tuple[Variant, ...]:
        wanted = self._widths(width)
        covering = [w for w in wanted if w >= pixels] if pixels else []
        if covering:  # up to the first width that is enough for the widest use
            wanted = [w for w in wanted if w <= covering[0]]
        stem = re.sub(r"[^A-Za-z0-9_-]+", "-", path.stem).strip("-")[:40] or "image"
        variants = []
        for fmt in self.settings.formats:
            ident = self._ident(digest, fmt)
            for w in wanted:
                variants.append(Variant(fmt, w, f"_img/{stem}-{ident}-{w}.{fmt}",
                                        f"{ident}-{w}.{fmt}"))
        return tuple(variants)

    def _widths(self, width: int) -> list[int]:
        """Every width a source this wide may have, smallest first."""
        wanted = sorted({w for w in self.settings.widths if w < width})
        if width < max(self.settings.widths, default=0):
            wanted.append(width)  # the full width too, when the widths reach beyond it
        return wanted

    def _ident(self, digest: str, fmt: str) -> str:
        """The name of a source's variants in one format with these settings."""
        effort = "" if self.settings.encoding == "small" else f":{self.settings.encoding}"
        return hashlib.blake2b(  # ("small" is left out: the caches made before stay)
            f"{digest}:{fmt}:{self.settings.quality(fmt)}:{ENCODER}{effort}".encode(),
            digest_size=5).hexdigest()

    def variant_on_request(self, rel: str) -> tuple[Path | None, str]:
        """The cached file of the variant at output path ``rel``, encoded now if missing.

        ``masthead serve`` shows pages before their pictures are encoded (a site moved in
        with thousands of photos would otherwise wait minutes for its first preview) and
        makes each variant the first time a browser asks for it. (None, "") when ``rel``
        is not a variant of an image of this site at a width it may have; (None, why)
        when encoding failed."""
        match = VARIANT_PATH.fullmatch(rel)
        if match is None or match.group(3) not in self.settings.formats:
            return None, ""
        ident, width, fmt = match.group(1), int(match.group(2)), match.group(3)
        cache_name = f"{ident}-{width}.{fmt}"
        made = self.cache_dir / cache_name
        if made.is_file():
            return made, ""
        found = self._source_of(ident)
        if found is None:
            return None, ""
        source, full, height = found
        if width not in self._widths(full):
            return None, ""
        with self._lock:
            lock = self._making.setdefault(cache_name, threading.Lock())
        with lock, self._slots:  # a variant is made once, and no more at once than cores
            if not made.is_file():
                variant = Variant(fmt, width, rel, cache_name)
                _url, _count, problem = _encode(ImageSet(rel, source, full, height,
                                                         (variant,)), self.settings,
                                                self.cache_dir)
                if problem:
                    return None, problem
        return made, ""

    def _source_of(self, ident: str) -> tuple[Path, int, int] | None:
        """(file, width, height) of the source whose variants are named ``ident``: from
        the cache's index (which the build keeps), read again when it does not know it;
        only files under public/ or the poster folder, as they are now."""
        with self._lock:
            if ident not in self._sources:
                self._index = _read_index(self._index_path)
                roots = (self.public.public_dir.resolve(), self.cache_dir.resolve())
                for key, facts in self._index.items():
                    path = Path(key)
                    if not any(root in path.parents for root in roots) or len(facts) != 5:
                        continue
                    for fmt in self.settings.formats:
                        self._sources[self._ident(str(facts[2]), fmt)] = (
                            path, int(facts[3]), int(facts[4]))  # type: ignore[call-overload]
            found = self._sources.get(ident)
            if found is None:
                return None
            known = self._index.get(str(found[0]))
        try:
            stat = found[0].stat()
        except OSError:
            return None
        if not known or known[0] != stat.st_size or known[1] != stat.st_mtime_ns:
            return None  # changed since: the next build plans it again
        return found


def _display_size(path: Path) -> tuple[int, int] | None:
    """Width and height as shown, after the EXIF orientation a phone camera writes."""
    found = header_size(path)
    if found is None:
        return None
    width, height, orientation = found
    return (height, width) if orientation in (5, 6, 7, 8) else (width, height)


def _encode(image: ImageSet, settings: ImageSettings, cache_dir: Path) -> tuple[str, int, str]:
    """Encode the missing variants of one image: (url, files written, problem or '')."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    missing = [v for v in image.variants if not (cache_dir / v.cache_name).is_file()]
    if not missing:
        return image.url, 0, ""
    if image.width * image.height > PIXEL_LIMIT:
        return image.url, 0, f"has {image.width} x {image.height} pixels, over the limit"
    tolerant()
    try:
        with Image.open(image.source) as opened:
            if opened.format == "JPEG" and opened.getexif().get(0x0112, 1) == 1:
                largest = max(v.width for v in missing)
                opened.draft("RGB", (largest, largest * image.height // image.width))
            base = ImageOps.exif_transpose(opened)
            base.load()
    except (OSError, UnidentifiedImageError, ValueError, SyntaxError,
            Image.DecompressionBombError) as exc:
        return image.url, 0, f"{UNDECODED}: {exc}"
    if base.mode not in ("RGB", "RGBA"):
        has_alpha = base.mode in ("RGBA", "LA", "PA") or "transparency" in base.info
        base = base.convert("RGBA" if has_alpha else "RGB")
    written = 0
    resized = base
    for width in sorted({v.width for v in missing}, reverse=True):
        height = max(1, round(image.height * width / image.width))
        # Each width is made from the one above it, not from the source: a third less
        # time resizing, and closer to a full-precision resize of the source (PSNR 50 dB
        # against 45 dB when the source is reduced by whole steps first).
        if resized.size != (width, height):
            resized = resized.resize((width, height), Image.Resampling.LANCZOS,
                                     reducing_gap=2.0)
        for variant in (v for v in missing if v.width == width):
            options: dict[str, object] = {"quality": settings.quality(variant.fmt)}
            speed, method = ENCODINGS.get(settings.encoding, ENCODINGS["small"])
            if variant.fmt == "avif":
                options["speed"] = speed
            elif variant.fmt == "webp":
                options["method"] = method
            else:
                options = {"optimize": True}
            fd, tmp = tempfile.mkstemp(dir=cache_dir, prefix=".tmp-")
            try:
                with os.fdopen(fd, "wb") as fh:
                    resized.save(fh, variant.fmt.upper(), **options)
                os.replace(tmp, cache_dir / variant.cache_name)
            except OSError as exc:
                Path(tmp).unlink(missing_ok=True)
                return image.url, written, f"cannot write {variant.fmt.upper()}: {exc}"
            written += 1
    return image.url, written, ""


def _read_index(path: Path) -> dict[str, list[object]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}
