"""A story's history: every save is a revision with its author (``drafts.py`` keeps
them); a revision can be compared with what the story holds now and restored (as a new
save, by whoever restores it, under the same role checks as any save). When the site's
folder is a git repository, each publish is also a commit authored by the account
(``dulwich``), so developers and the desk share one history."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any, cast

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from masthead.desk.accounts import Account, DeskError
from masthead.desk.backend import Backend
from masthead.desk.drafts import Draft
from masthead.desk.roles import Role
from masthead.desk.site_files import SiteFiles
from masthead.desk.web import Doors
from masthead.digests import sha256_hex


class History:
    """``/admin/history?path=`` (the revisions of one file), ``/admin/history/{id}``
    (one revision and its difference from now), ``/admin/history/{id}/restore``."""

    def __init__(self, backend: Backend, doors: Doors) -> None:
        self.backend = backend
        self.doors = doors

    def routes(self) -> list[Route]:
        return [Route("/admin/history", self.doors.guarded(self.listing), methods=["GET"]),
                Route("/admin/history/{id:int}", self.doors.guarded(self.one),
                      methods=["GET"]),
                Route("/admin/history/{id:int}/restore", self.doors.guarded(self.restore),
                      methods=["POST"])]

    async def _may_see(self, account: Account, path: str) -> None:
        """A contributor sees the history of their own stories only."""
        if account.role is not Role.CONTRIBUTOR:
            return
        key = _key_of(self.backend.files, path)
        draft = await self.backend.drafts.get(key) if key else None
        owner = draft.owner if draft else await self.backend.owner_of(path)
        if owner != account.id:
            raise DeskError("a contributor sees the history of their own stories", 403)

    async def listing(self, request: Request) -> Response:
        account = (await self.doors.session_of(request)).account
        path = self.backend.files.confine(request.query_params.get("path")).rel
        await self._may_see(account, path)
        names: dict[str, str] = {}
        shown = []
        for revision in await self.backend.drafts.revisions(path):
            if revision.account not in names:
                names[revision.account] = await self.backend.accounts.name_of(
                    revision.account)
            shown.append({"id": revision.id, "at": revision.at,
                          "by": names[revision.account], "size": len(revision.raw)})
        return JSONResponse({"path": path, "revisions": shown})

    async def _current(self, path: str) -> str:
        drafted = await self.backend.drafts.of_path(path)
        if drafted is not None:
            return drafted
        data = self.backend.files.read(self.backend.files.confine(path))
        return data.decode("utf-8", "replace") if data is not None else ""

    async def one(self, request: Request) -> Response:
        account = (await self.doors.session_of(request)).account
        revision = await self.backend.drafts.revision(request.path_params["id"])
        if revision is None:
            raise DeskError("no such revision", 404)
        await self._may_see(account, revision.path)
        now = await self._current(revision.path)
        diff = "".join(difflib.unified_diff(
            revision.raw.splitlines(keepends=True), now.splitlines(keepends=True),
            f"{revision.path} ({revision.at})", f"{revision.path} (now)"))
        return JSONResponse({"id": revision.id, "path": revision.path, "at": revision.at,
                             "by": await self.backend.accounts.name_of(revision.account),
                             "raw": revision.raw, "diff": diff})

    async def restore(self, request: Request) -> Response:
        """The revision becomes the story's draft again: a new save by the account."""
        account = (await self.doors.session_of(request)).account
        revision = await self.backend.drafts.revision(request.path_params["id"])
        if revision is None:
            raise DeskError("no such revision", 404)
        key = _key_of(self.backend.files, revision.path)
        if key is None:
            raise DeskError("this file is not a story the desk edits", 403)
        draft = await self.backend.drafts.get(key)
        owner = await self.backend.may_write(account, revision.path, draft)
        status = draft.status if draft else "draft"
        await self.backend.drafts.save(
            Draft(key, draft.path if draft else revision.path, owner, status,
                  {revision.path: revision.raw}), key.split("/", 1)[0],
            key.split("/", 1)[1], account.id)
        await self.backend.drafts.mark_seen(account.id, revision.path,
                                            sha256_hex(revision.raw.encode()))
        await self.backend.accounts.log(account.id, "restore", revision.path,
                                        str(revision.id))
        return JSONResponse({"status": "restored", "key": key, "status_of_story": status})


def _key_of(files: SiteFiles, path: str) -> str | None:
    """The workflow's key (collection/slug) of a story's file."""
    collection = files.collection_of(path)
    if collection is None:
        return None
    return f"{collection}/{path.rsplit('/', 1)[-1].rsplit('.', 1)[0]}"


async def commit_published(root: Path, paths: list[str], account: Account,
                           message: str) -> None:
    """A commit of ``paths`` authored by ``account`` when ``root`` is a git repository
    (nothing otherwise). Only those paths are added; a developer's unstaged changes
    to other files stay out of it."""
    if not (root / ".git").is_dir():
        return
    await anyio.to_thread.run_sync(_commit, root, paths, account, message)


def _commit(root: Path, paths: list[str], account: Account, message: str) -> None:
    """The commit is made from HEAD's tree with ``paths`` as they are on disk (a missing
    one removed), not from the index: what a developer has staged for their own commit
    stays staged, theirs, and out of the writer's commit. Those paths are staged too, so
    that ``git status`` shows them as committed."""
    import time

    from dulwich import porcelain
    from dulwich.object_store import commit_tree_changes
    from dulwich.objects import Blob, Commit, Tree
    from dulwich.repo import Repo

    author = f"{account.name} <{account.email}>".encode()
    with Repo(str(root)) as repo:
        try:
            parent: Any = repo.head()
        except KeyError:  # a repository without a commit yet
            parent = None
        tree: Any = repo[cast(Any, repo[parent]).tree] if parent is not None else Tree()
        if parent is None:
            repo.object_store.add_object(tree)
        changes: list[Any] = []
        for path in paths:
            file = root / path
            if file.is_file():
                blob = Blob.from_string(file.read_bytes())
                repo.object_store.add_object(blob)
                changes.append((path.encode(), 0o100644, blob.id))
            else:
                changes.append((path.encode(), None, None))
        commit = Commit()
        commit.tree = commit_tree_changes(repo.object_store, tree, changes)
        commit.parents = [parent] if parent is not None else []
        commit.author = commit.committer = author
        commit.author_time = commit.commit_time = int(time.time())
        commit.author_timezone = commit.commit_timezone = 0
        commit.encoding = b"UTF-8"
        commit.message = message.encode()
        repo.object_store.add_object(commit)
        repo.refs[cast(Any, b"HEAD")] = commit.id
        present = [str(root / path) for path in paths if (root / path).is_file()]
        if present:
            porcelain.add(repo, present)
