"""Deploying an output folder to every target at once, and rolling a target back.

Each target is served on its own thread: one that fails (a host down, a credential
missing) is reported with its name and reason and does not stop the others. What a
target was given is kept beside the build cache (``.masthead/deploy/NAME/current``, and
``previous`` before it, as hard links to the output's files): ``--rollback`` gives the
target its previous version again, byte for byte.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from masthead.config import DeployTarget, SiteConfig
from masthead.deploy.mirrorlist import write_mirror_list
from masthead.deploy.plan import (
    MANIFEST,
    UNFINISHED,
    Plan,
    decode,
    encode,
    manifest_of,
    plan,
)
from masthead.deploy.rclone import TransportError, unlisted
from masthead.deploy.transports import Transport, transport_for
from masthead.digests import sha256_hex
from masthead.output import link_or_copy, write_atomic

Say = Callable[[str], None]
SAMPLE = 5  # unchanged pages fetched back besides the changed ones
CHANGED_CHECKED = 20


@dataclass
class DeployResult:
    """What happened at one target."""

    target: str
    uploaded: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    bytes: int = 0
    seconds: float = 0.0
    verified: int = 0
    error: str = ""
    dry_run: bool = False
    hint: str = ""  # what to do about the error

    def summary(self) -> str:
        if self.error:
            return f"{self.target}: failed: {self.error}" + (
                f"\n  hint: {self.hint}" if self.hint else "")
        checked = f", {self.verified} pages checked at its address" if self.verified else ""
        if self.dry_run:
            return (f"{self.target}: would upload {len(self.uploaded)} files "
                    f"({self.bytes / 1e6:.2f} MB) and delete {len(self.deleted)} (dry run: "
                    "nothing was sent)")
        if not self.uploaded and not self.deleted:
            return f"{self.target}: up to date, {self.seconds:.1f} s{checked}"
        return (f"{self.target}: {len(self.uploaded)} files up ({self.bytes / 1e6:.2f} MB), "
                f"{len(self.deleted)} deleted, {self.seconds:.1f} s{checked}")


def destination(config: SiteConfig, target: DeployTarget) -> str:
    """rclone's name for the target: a remote as written, a folder made absolute (a
    relative one is relative to the site)."""
    to = target.to
    if ":" in to.split("/", 1)[0] and not to.startswith(("/", "./", "../")):
        return to
    path = Path(to).expanduser()
    return str(path if path.is_absolute() else (config.root / path).resolve())


def snapshots(config: SiteConfig, target: DeployTarget) -> Path:
    return config.root / ".masthead" / "deploy" / target.name


def deploy(config: SiteConfig, out_dir: Path, targets: list[DeployTarget], *,
           dry_run: bool = False, verify: bool = True, say: Say = print,
           key: Ed25519PrivateKey | None = None) -> list[DeployResult]:
    """Give every target the output in ``out_dir`` (with the mirror list signed by ``key``
    when there is one); one result per target."""
    if key is not None:
        primary = next((t.url for t in config.deploy if t.primary), config.base_url)
        write_mirror_list(config, out_dir, key, primary)
    # the digests are kept per output folder (the desk builds into its own)
    local = manifest_of(out_dir, config.root / ".masthead" / "deploy" /
                        f"digests-{sha256_hex(str(out_dir.resolve()).encode())[:12]}.json")

    def one(target: DeployTarget) -> DeployResult:
        return _deploy_one(config, target, out_dir, local, dry_run, verify, say)

    with ThreadPoolExecutor(max_workers=max(1, len(targets))) as pool:
        return list(pool.map(one, targets))


def rollback(config: SiteConfig, targets: list[DeployTarget], *,
             say: Say = print) -> list[DeployResult]:
    """Give each target the version it had before the last deploy."""
    def one(target: DeployTarget) -> DeployResult:
        kept = snapshots(config, target)
        previous = kept / "previous"
        if not previous.is_dir():
            undone = (kept / "undone").is_dir()
            return DeployResult(target.name, error=(
                "already rolled back: no older version is kept here" if undone
                else "no previous version was kept here"), hint=(
                "deploy to publish the site as it is now" if undone else ""))
        result = _deploy_one(config, target, previous, manifest_of(previous), False, False,
                             say, keep=False)
        if not result.error:  # the newer version is kept aside, never rolled back to
            shutil.rmtree(kept / "undone", ignore_errors=True)
            os.replace(kept / "current", kept / "undone")
            os.replace(previous, kept / "current")
            (kept / "current.json").unlink(missing_ok=True)
            if (kept / "previous.json").is_file():
                os.replace(kept / "previous.json", kept / "current.json")
        return result

    with ThreadPoolExecutor(max_workers=max(1, len(targets))) as pool:
        return list(pool.map(one, targets))


def _deploy_one(config: SiteConfig, target: DeployTarget, source: Path,
                local: dict[str, str], dry_run: bool, verify: bool, say: Say,
                keep: bool = True) -> DeployResult:
    result = DeployResult(target.name)
    started = time.monotonic()
    try:
        bad = unlisted(list(local))
        if bad:  # before anything is uploaded, not halfway through
            raise TransportError(f"{len(bad)} published file names have a line break or a "
                                 f"control character, e.g. {bad[0][:60]!r}: rename them "
                                 "in the site")
        transport = transport_for(destination(config, target))
        remote = decode(transport.read(MANIFEST))
        todo = plan(local, remote, source)
        result.bytes = todo.bytes
        if dry_run:
            result.dry_run = True
            result.uploaded, result.deleted = todo.uploads, todo.delete
            say(f"{target.name}: would upload {len(todo.uploads)} files "
                f"({todo.bytes / 1e6:.2f} MB) and delete {len(todo.delete)}")
            return result
        _apply(transport, target, source, local, todo, say)
        result.uploaded, result.deleted = todo.uploads, todo.delete
        if keep:
            _keep(config, target, source, local)
        if verify:
            try:
                result.verified = _verify(target, source, todo)
            except VerifyError as exc:
                result.error = str(exc)
                result.hint = (f"the files are up at {destination(config, target)}; the check "
                               f"fetches pages from {target.url}, its url in masthead.toml. "
                               "Serve the files there (or correct the url), then deploy "
                               "again; --no-verify skips the check")
    except (TransportError, OSError) as exc:
        result.error = str(exc)
        result.hint = _transport_hint(target, str(exc))
    result.seconds = time.monotonic() - started
    return result


def _transport_hint(target: DeployTarget, error: str) -> str:
    """What to do when rclone does not know the remote a target names."""
    remote = target.to.split(":", 1)[0] if ":" in target.to.split("/", 1)[0] else ""
    if remote and ("didn't find section in config file" in error
                   or "not found in config" in error.lower()):
        name = re.sub(r"[^A-Za-z0-9]", "_", remote).upper()
        return (f"rclone has no remote named '{remote}': set RCLONE_CONFIG_{name}_TYPE "
                f"(and RCLONE_CONFIG_{name}_... for its host and credentials) in the "
                f"environment, or run `rclone config` to add it")
    return ""


def _apply(transport: Transport, target: DeployTarget, source: Path, local: dict[str, str],
           todo: Plan, say: Say) -> None:
    # A marker with nothing in it is no marker: rclone's ``cat`` of a missing key in a
    # bucket that has others answers with nothing and success.
    unfinished = bool(transport.read(UNFINISHED))
    if todo.empty and not unfinished:
        say(f"{target.name}: up to date")
        return
    transport.prepare()
    if unfinished:
        say(f"{target.name}: finishing the deploy that was interrupted there")
        transport.delete_partials()
    transport.write(UNFINISHED, b"a deploy is writing here; the next one finishes it\n")
    say(f"{target.name}: uploading {len(todo.first)} files, then {len(todo.then)} pages "
        f"and feeds ({todo.bytes / 1e6:.2f} MB)")
    transport.upload(source, todo.first, lambda line: say(f"{target.name}: files {line}"))
    transport.upload(source, todo.then, lambda line: say(f"{target.name}: pages {line}"))
    transport.write(MANIFEST, encode(local))
    if todo.delete:
        say(f"{target.name}: deleting {len(todo.delete)} files the site no longer has")
        transport.delete(todo.delete)
    transport.delete([UNFINISHED])


def _keep(config: SiteConfig, target: DeployTarget, source: Path,
          local: dict[str, str]) -> None:
    """What the target now holds, as hard links (a copy where links cannot be made), with
    its list of files; the version before it stays as ``previous`` for a rollback.

    The new snapshot is the one before the previous, brought up to date: only the files
    that changed since are linked again (10,000 stories, a story added: 1,700 links
    instead of 33,000, and as many fewer deleted)."""
    kept = snapshots(config, target)
    kept.mkdir(parents=True, exist_ok=True)
    fresh = kept / "next"
    shutil.rmtree(fresh, ignore_errors=True)
    oldest = _listed(kept, "previous")
    (kept / "previous.json").unlink(missing_ok=True)  # no list is trusted while it moves
    if oldest is not None and (kept / "previous").is_dir():
        os.replace(kept / "previous", fresh)
        _bring_up_to_date(fresh, oldest, source, local)
    else:
        shutil.rmtree(kept / "previous", ignore_errors=True)
        shutil.copytree(source, fresh, copy_function=link_or_copy,
                        ignore=shutil.ignore_patterns(".masthead-output"))
    if (kept / "current").is_dir():
        os.replace(kept / "current", kept / "previous")
        if (kept / "current.json").is_file():
            os.replace(kept / "current.json", kept / "previous.json")
    (kept / "current.json").unlink(missing_ok=True)
    os.replace(fresh, kept / "current")
    write_atomic(kept / "current.json", encode(local))


def _listed(kept: Path, name: str) -> dict[str, str] | None:
    """The list of files of the snapshot ``name``, when it was kept."""
    try:
        return decode((kept / f"{name}.json").read_bytes()) or None
    except OSError:
        return None


def _bring_up_to_date(folder: Path, holds: dict[str, str], source: Path,
                      wanted: dict[str, str]) -> None:
    """Make ``folder``, which holds ``holds``, hold ``source``'s files ``wanted``."""
    for rel, sha in wanted.items():
        if holds.get(rel) != sha:
            path = folder / rel
            path.unlink(missing_ok=True)
            path.parent.mkdir(parents=True, exist_ok=True)
            link_or_copy(str(source / rel), str(path))
    for rel in holds:
        if rel not in wanted:
            (folder / rel).unlink(missing_ok=True)


class VerifyError(Exception):
    """A page fetched from the target's address is not the one that was built."""


def _verify(target: DeployTarget, source: Path, todo: Plan) -> int:
    """Fetch the changed pages (up to CHANGED_CHECKED) and a few others from the target's
    address and compare them with what was built."""
    pages = [rel for rel in todo.then if rel.endswith(".html")][:CHANGED_CHECKED]
    others = sorted(p.relative_to(source).as_posix() for p in source.rglob("*.html"))
    step = max(1, len(others) // SAMPLE)
    pages += [rel for rel in others[::step][:SAMPLE] if rel not in pages]
    for rel in pages:
        address = target.url + urllib.parse.quote(
            rel[: -len("index.html")] if rel.endswith("index.html") else rel)
        try:
            with urllib.request.urlopen(address, timeout=15) as response:
                served = response.read()
        except OSError as exc:
            raise VerifyError(f"{address} could not be fetched: {exc}") from None
        if served != (source / rel).read_bytes():
            raise VerifyError(f"{address} is not the page that was built")
    return len(pages)


def say_to_stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)
