"""Pictures and files a writer sends from the desk, checked before they are kept.

An upload is from an untrusted writer and ends up on the site's own address, so it is
held to the rules the build holds ``public/`` to, and stricter: a size limit, a type
decided by the bytes as well as the name (a ``.jpg`` must be a JPEG Pillow can read,
of a sane number of pixels), SVG made safe by svg-hush as the build does (stored
already cleaned), and a plain file name (the address readers will see)."""

from __future__ import annotations

import io
import re
import unicodedata

from masthead.assets.active import safe_svg
from masthead.desk.accounts import DeskError

MAX_UPLOAD = 20 * 1024 * 1024  # bytes: a phone's photo is 3-8 MB; a PDF report more
MAX_PIXELS = 60_000_000  # a 60-megapixel camera; beyond it, a decompression bomb
RASTER = {".jpg": "JPEG", ".jpeg": "JPEG", ".png": "PNG", ".webp": "WEBP", ".gif": "GIF",
          ".avif": "AVIF"}
SIGNATURES = {".pdf": (b"%PDF-",), ".mp3": (b"ID3", b"\xff\xfb", b"\xff\xf3", b"\xff\xf2")}
_UNSAFE = re.compile(r"[^a-z0-9._-]+")


def clean_name(name: str) -> str:
    """A file name readers can type: lower case Latin letters, digits, ``-``, ``_``
    and one extension (``Фото 1.JPG`` -> ``foto-1.jpg`` is not attempted: letters that
    are not Latin become ``-``, and an empty stem becomes ``file``)."""
    stem, dot, extension = name.rpartition(".")
    if not dot:
        stem, extension = name, ""
    stem = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode().lower()
    stem = _UNSAFE.sub("-", stem).strip("-.") or "file"
    extension = _UNSAFE.sub("", extension.lower())
    return f"{stem[:80]}.{extension}" if extension else stem[:80]


def checked_upload(name: str, data: bytes) -> bytes:
    """What is kept of the upload ``name``: its bytes, or a safe SVG; DeskError 413 when
    too large, 415 when it is not what its name says or not a type the site publishes."""
    if len(data) > MAX_UPLOAD:
        raise DeskError(f"{name} is {len(data) // (1024 * 1024)} MB; the desk takes files "
                        f"up to {MAX_UPLOAD // (1024 * 1024)} MB", 413)
    extension = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension == ".svg":
        cleaned = safe_svg(data)
        if cleaned is None:
            raise DeskError(f"{name} cannot be read as an SVG picture", 415)
        return cleaned
    if extension in RASTER:
        _check_picture(name, data, RASTER[extension])
        return data
    if extension in SIGNATURES:
        if not data.startswith(SIGNATURES[extension]):
            raise DeskError(f"{name} is not a {extension[1:].upper()} file", 415)
        return data
    raise DeskError(f"the desk takes pictures (JPEG, PNG, WebP, GIF, AVIF, SVG), PDF and "
                    f"MP3; not {name}", 415)


def _check_picture(name: str, data: bytes, expected: str) -> None:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise DeskError(f"{name} is {width}x{height} pixels; the desk takes "
                                f"pictures up to {MAX_PIXELS // 1_000_000} megapixels", 413)
            kind = image.format
            image.verify()
    except DeskError:
        raise
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError,
            Image.DecompressionBombError) as exc:
        raise DeskError(f"{name} cannot be read as a picture ({exc})"[:200], 415) from None
    if kind != expected and not (expected == "JPEG" and kind == "MPO"):
        raise DeskError(f"{name} is a {kind} picture under a {expected} name; save it "
                        f"with its own extension", 415)
