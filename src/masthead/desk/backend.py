"""The editor's protocol: Decap CMS's ``proxy`` backend (one JSON POST per action,
``{"action": ..., "params": {...}}``), answered from the site's files and the desk's
database, with the role of the session checked on every action.

Published stories are the site's files. A story in the editorial workflow (draft, in
review, ready) is kept in the desk's database (``drafts.py``) until it is published:
then its files (one per language) and the pictures sent with it are checked as the build
would check them and written into the site, and the one who wrote it is remembered as its
owner. A contributor's call for something the role forbids (another's story, publishing)
gets 403, whatever the editor's interface shows. A save over a version of the story the
writer never opened is a conflict (409), never a silent overwrite."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Awaitable, Callable
from typing import Any

import anyio.to_thread

from masthead.api.db import Cursor, Database, now_text
from masthead.content.frontmatter import load_yaml
from masthead.desk.accounts import Account, Accounts, DeskError
from masthead.desk.drafts import Draft, Drafts
from masthead.desk.roles import Action, Role, may
from masthead.desk.site_files import MEDIA_FOLDER, DeskPath, SiteFiles
from masthead.desk.uploads import checked_upload, clean_name
from masthead.digests import sha256_hex

STATUSES = ("draft", "pending_review", "pending_publish")
PAGE_SIZE_LIMIT = 100
MAX_FILES = 20  # files of one story: one per language

Params = dict[str, Any]
Checker = Callable[[str, str], list[str]]  # (path, text) -> the build's errors
Changed = Callable[[str, str], Awaitable[int]]  # (account, what) after the site changed
Committer = Callable[[list[str], Account, str], Awaitable[None]]  # git, when there is one


def _string(params: Params, key: str) -> str:
    value = params.get(key)
    if not isinstance(value, str) or not value or len(value) > 400:
        raise DeskError(f"'{key}' is missing", 422)
    return value


def front_matter(data: bytes) -> str:
    """The front matter of a story's file (up to its closing ``---``): what the story
    list shows. The body is fetched when the story is opened (``getEntry``), so a
    10,000-story folder is listed without sending 10,000 bodies."""
    text = data.decode("utf-8", "replace")
    if text.startswith("---"):
        end = text.find("\n---", 3)
        if end != -1:
            return text[:end + 4] + "\n"
    return text[:2000]


def unwritten(raw: str) -> bool:
    """A language of a story nobody wrote in: no title and no text. The editor sends a
    file for every language of the site, with the fields it copies between languages
    (date, author) even where nobody translated the story; such a file is not kept."""
    head, _, body = raw.removeprefix("---").partition("\n---")
    try:
        meta = load_yaml(head)
    except Exception:  # broken front matter is someone's writing: kept, and checked
        return False
    title = meta.get("title") if isinstance(meta, dict) else None
    return not (isinstance(title, str) and title.strip()) and not body.strip(" -\n")


class Backend:
    """One instance per desk; ``handle`` answers one action for one account."""

    def __init__(self, files: SiteFiles, db: Database, accounts: Accounts,
                 changed: Changed | None = None, check: Checker | None = None,
                 commit: Committer | None = None,
                 previews: Callable[[list[str]], dict[str, bytes]] | None = None) -> None:
        self.files = files
        self.previews = previews  # small pictures for the media library
        self.db = db
        self.accounts = accounts
        self.drafts = Drafts(db)
        self.changed = changed
        self.check = check
        self.commit = commit
        # the list's entries by path, with the size, time and inode they were read at
        self.listed: dict[str, tuple[tuple[int, int, int], dict[str, Any]]] = {}
        self.actions: dict[str, Callable[[Account, Params], Awaitable[Any]]] = {
            "info": self.info, "entriesByFolder": self.entries_by_folder,
            "entriesByFiles": self.entries_by_files, "getEntry": self.get_entry,
            "persistEntry": self.persist_entry, "unpublishedEntries": self.unpublished,
            "unpublishedEntry": self.unpublished_entry,
            "unpublishedEntryDataFile": self.unpublished_data,
            "unpublishedEntryMediaFile": self.unpublished_media,
            "updateUnpublishedEntryStatus": self.update_status,
            "publishUnpublishedEntry": self.publish,
            "deleteUnpublishedEntry": self.delete_unpublished,
            "deleteFile": self.delete_file, "deleteFiles": self.delete_files,
            "getMedia": self.get_media, "getMediaFile": self.get_media_file,
            "persistMedia": self.persist_media, "getDeployPreview": self.no_preview,
        }

    async def handle(self, account: Account, body: object) -> Any:
        if not isinstance(body, dict) or not isinstance(body.get("action"), str):
            raise DeskError("send {\"action\": ..., \"params\": {...}}", 422)
        action = self.actions.get(body["action"])
        if action is None:
            raise DeskError(f"unknown action {str(body['action'])[:40]!r}", 422)
        params = body.get("params") or {}
        if not isinstance(params, dict):
            raise DeskError("'params' must be an object", 422)
        return await action(account, params)

    # --- who owns what --------------------------------------------------------------------

    async def owner_of(self, rel: str) -> str:
        q = self.db.sql

        def work(cur: Cursor) -> str:
            cur.execute(q("SELECT account FROM owners WHERE path = ?"), (rel,))
            row = cur.fetchone()
            return str(row[0]) if row else ""

        return await self.db.run(work)

    async def _check(self, account: Account, action: Action, owner: str,
                     published: bool = False) -> None:
        if not may(account.role, action, own=owner == account.id, published=published):
            await self.accounts.log(account.id, "refused", action.value, owner)
            raise DeskError(f"a {account.role.value} may not {action.value} this story", 403)

    async def may_write(self, account: Account, path: str, draft: Draft | None) -> str:
        """The owner the story at ``path`` has (or will have); DeskError 403 when
        ``account`` may not change it."""
        published_owner = await self.owner_of(path)
        exists = self.files.read(self.files.confine(path)) is not None
        if draft is not None:
            await self._check(account, Action.WRITE, draft.owner)
            return draft.owner
        if exists:  # a published story taken into the workflow again
            await self._check(account, Action.WRITE, published_owner, published=True)
            return published_owner
        return account.id

    # --- published files ------------------------------------------------------------------

    async def info(self, account: Account, params: Params) -> Any:
        return {"repo": self.files.root.name, "publish_modes": ["editorial_workflow"],
                "type": "masthead"}

    def _entry(self, file: DeskPath, listed: bool = False) -> dict[str, Any]:
        data = self.files.read(file)
        shown = None if data is None else (front_matter(data) if listed else
                                           data.decode("utf-8", "replace"))
        return {"data": shown,
                "file": {"path": file.rel, "id": sha256_hex(data) if data is not None
                         else None}}

    async def entries_by_folder(self, account: Account, params: Params) -> Any:
        folder = _string(params, "folder")
        depth = params.get("depth")
        extension = str(params.get("extension") or "md")
        given = params.get("options")
        options: Params = given if isinstance(given, dict) else {}
        page, size = options.get("page"), options.get("pageSize")

        def work() -> list[dict[str, Any]]:
            listed = self.files.listing(folder, extension, depth if isinstance(depth, int)
                                        else 1)
            if options.get("pagination") and isinstance(page, int) \
                    and isinstance(size, int) and page >= 1 and 1 <= size <= PAGE_SIZE_LIMIT:
                listed = listed[(page - 1) * size:page * size]
            return [self._listed_entry(rel) for rel in listed]

        # off the event loop: 10,000 files are read the first time, and meanwhile the
        # desk answers everyone else
        return await anyio.to_thread.run_sync(work)

    def _listed_entry(self, rel: str) -> dict[str, Any]:
        """A story as the list shows it, kept while its file's size, time and inode stay
        the same: the list is read again each time the editor shows it (10,000 stories:
        9 s the first time, then a look at each file)."""
        path = self.files.root / rel
        try:
            info = path.stat()
        except OSError:
            info = None
        stamp = (info.st_size, info.st_mtime_ns, info.st_ino) if info else None
        kept = self.listed.get(rel)
        if stamp is not None and kept is not None and kept[0] == stamp:
            return kept[1]
        entry = self._entry(self.files.confine(rel), listed=True)
        if stamp is not None:
            self.listed[rel] = (stamp, entry)
        return entry

    async def entries_by_files(self, account: Account, params: Params) -> Any:
        files = params.get("files")
        if not isinstance(files, list) or len(files) > 1000:
            raise DeskError("'files' must be a list of {path}", 422)
        return [self._entry(self.files.confine(f.get("path") if isinstance(f, dict) else f))
                for f in files]

    async def get_entry(self, account: Account, params: Params) -> Any:
        entry = self._entry(self.files.confine(params.get("path")))
        if entry["file"]["id"] is not None:
            await self.drafts.mark_seen(account.id, entry["file"]["path"], entry["file"]["id"])
        return entry

    async def get_media(self, account: Account, params: Params) -> Any:
        folder = _string(params, "mediaFolder")

        def work() -> list[dict[str, Any]]:
            files = [self.files.confine(rel, media=True)
                     for rel in self.files.listing(folder, "*", 1)
                     if "." in rel.rsplit("/", 1)[-1]]
            small = self.previews([f.rel for f in files]) if self.previews else {}
            return [self._media(f, small.get(f.rel)) for f in files]

        return await anyio.to_thread.run_sync(work)  # pictures may be encoded meanwhile

    async def get_media_file(self, account: Account, params: Params) -> Any:
        return self._media(self.files.confine(params.get("path"), media=True))

    def _media(self, file: DeskPath, shown: bytes | None = None) -> dict[str, Any]:
        """A file of the uploads folder; ``shown`` instead of its bytes when the library
        is sent a small picture of it (its id stays the file's own)."""
        if shown is not None:
            info = file.path.stat()
            ident = sha256_hex(f"{file.rel}:{info.st_size}:{info.st_mtime_ns}".encode())
            return {"id": ident, "content": base64.b64encode(shown).decode(),
                    "encoding": "base64", "path": file.rel,
                    "name": file.rel.rsplit("/", 1)[-1]}
        data = self.files.read(file)
        if data is None:
            raise DeskError(f"no file {file.rel}", 404)
        return {"id": sha256_hex(data), "content": base64.b64encode(data).decode(),
                "encoding": "base64", "path": file.rel, "name": file.rel.rsplit("/", 1)[-1]}

    async def persist_media(self, account: Account, params: Params) -> Any:
        """A picture put straight into the media library (not with a story): it is
        public at the next publish, so only those who may publish may do it."""
        if not may(account.role, Action.PUBLISH):
            raise DeskError("add pictures inside your story: they are published with it",
                            403)
        path, data = self._asset(params.get("asset"))
        file = self.files.confine(path, media=True)
        self.files.write(file, data)
        await self.accounts.log(account.id, "upload", file.rel, "")
        return {"id": sha256_hex(data), "name": file.rel.rsplit("/", 1)[-1],
                "path": file.rel, "url": "/" + file.rel.split("/", 1)[1]}

    def _asset(self, asset: object) -> tuple[str, bytes]:
        """(path in the uploads folder, checked bytes) of one asset the editor sent."""
        if not isinstance(asset, dict) or not isinstance(asset.get("path"), str) \
                or not isinstance(asset.get("content"), str):
            raise DeskError("an asset must be {path, content, encoding}", 422)
        try:
            data = base64.b64decode(asset["content"], validate=True)
        except (binascii.Error, ValueError):
            raise DeskError("an asset's content is not base64", 422) from None
        name = clean_name(asset["path"].rsplit("/", 1)[-1])
        return f"{MEDIA_FOLDER}/{name}", checked_upload(name, data)

    async def no_preview(self, account: Account, params: Params) -> Any:
        return None

    async def delete_file(self, account: Account, params: Params) -> Any:
        file = self.files.confine(params.get("path"))
        await self._check(account, Action.DELETE, await self.owner_of(file.rel), published=True)
        self.files.delete(file)
        await self.accounts.log(account.id, "delete", file.rel, "")
        if self.changed is not None:
            await self.changed(account.id, f"delete {file.rel}")
        return {"message": f"deleted file {file.rel}"}

    async def delete_files(self, account: Account, params: Params) -> Any:
        paths = params.get("paths")
        if not isinstance(paths, list):
            raise DeskError("'paths' must be a list", 422)
        for rel in paths:
            await self.delete_file(account, {"path": rel})
        return {"message": "deleted files"}

    # --- the workflow -----------------------------------------------------------------------

    async def _version(self, path: str) -> str:
        """What ``path`` holds now for the desk: its draft, else its published file
        ("" when neither exists)."""
        drafted = await self.drafts.of_path(path)
        if drafted is not None:
            return sha256_hex(drafted.encode())
        data = self.files.read(self.files.confine(path))
        return sha256_hex(data) if data is not None else ""

    async def _not_conflicting(self, account: Account, path: str) -> None:
        """DeskError 409 when someone else saved ``path`` after ``account`` opened it."""
        current = await self._version(path)
        seen = await self.drafts.seen(account.id, path)
        if not current or current == seen:
            return
        newest = await self.drafts.revisions(path, limit=1)
        if newest and newest[0].account == account.id:
            return  # their own newer save (another tab): theirs to overwrite
        if not newest and not seen:
            raise DeskError(f"{path} is already a story of the site and you have not opened "
                            f"it: open it at the desk first, then add your changes.", 409)
        again = ("Your text is still in the editor: copy it, open the story again and add "
                 "your changes to theirs")
        if not newest:
            raise DeskError(f"{path} was changed on the server after you opened it. "
                            f"{again}.", 409)
        who = await self.accounts.name_of(newest[0].account)
        when = newest[0].at[:16].replace("T", " ")
        raise DeskError(f"{who} saved {path} at {when} UTC, after you opened it. {again} "
                        f"(History shows both).", 409)

    async def persist_entry(self, account: Account, params: Params) -> Any:
        found = params.get("options")
        options: Params = found if isinstance(found, dict) else {}
        given = params.get("dataFiles")
        entries: list[Any] = given if isinstance(given, list) else [params.get("entry")]
        if not entries or len(entries) > MAX_FILES or not all(
                isinstance(e, dict) and isinstance(e.get("raw"), str) for e in entries):
            raise DeskError("'dataFiles' must be a list of {slug, path, raw}", 422)
        files = {self.files.confine(e.get("path")).rel: e["raw"] for n, e in
                 enumerate(entries) if n == 0 or not unwritten(e["raw"])}
        slug, collection = _string(entries[0], "slug"), _string(options, "collectionName")
        key = f"{collection}/{slug}"
        draft = await self.drafts.get(key)
        first = next(iter(files))
        owner = await self.may_write(account, first, draft)
        for path in files:
            await self._not_conflicting(account, path)
        media: dict[str, str] = {}
        for asset in params.get("assets") or []:
            path, data = self._asset(asset)
            media[path] = base64.b64encode(data).decode()
        status = str(options.get("status") or "draft")
        if status not in STATUSES or (status != "draft" and not may(account.role,
                                                                    Action.REVIEW)):
            status = draft.status if draft else "draft"
        await self.drafts.save(Draft(key, draft.path if draft else first, owner, status,
                                     files, media), collection, slug, account.id)
        await self.accounts.log(account.id, "save", first, status)
        return {"message": "entry persisted"}

    async def unpublished(self, account: Account, params: Params) -> Any:
        return [key for key, owner in await self.drafts.keys()
                if account.role is not Role.CONTRIBUTOR or owner == account.id]

    async def _own_draft(self, account: Account, params: Params) -> tuple[str, str, Draft]:
        key = params.get("id")  # unpublishedEntry may name the story by its key alone
        collection, slug = params.get("collection"), params.get("slug")
        if not (isinstance(collection, str) and isinstance(slug, str)) \
                and isinstance(key, str) and "/" in key:
            collection, slug = key.split("/", 1)
        if not isinstance(collection, str) or not isinstance(slug, str):
            raise DeskError("'collection' and 'slug' are missing", 422)
        draft = await self.drafts.get(f"{collection}/{slug}")
        if draft is None:
            raise DeskError("Not Found", 404)
        if account.role is Role.CONTRIBUTOR and draft.owner != account.id:
            raise DeskError("a contributor sees only their own stories", 403)
        return collection, slug, draft

    async def unpublished_entry(self, account: Account, params: Params) -> Any:
        collection, slug, draft = await self._own_draft(account, params)
        diffs = [{"id": path, "path": path, "binary": False,
                  "newFile": self.files.read(self.files.confine(path)) is None}
                 for path in draft.files]
        diffs += [{"id": path, "path": path, "binary": True, "newFile": True}
                  for path in draft.media]
        return {"collection": collection, "slug": slug, "status": draft.status,
                "diffs": diffs, "updatedAt": now_text()}

    async def unpublished_data(self, account: Account, params: Params) -> Any:
        _collection, _slug, draft = await self._own_draft(account, params)
        path = params.get("path")
        raw = draft.files.get(path) if isinstance(path, str) else None
        if raw is None:
            raise DeskError("no such file in this story", 404)
        await self.drafts.mark_seen(account.id, str(path), sha256_hex(raw.encode()))
        return {"data": raw}

    async def unpublished_media(self, account: Account, params: Params) -> Any:
        _collection, _slug, draft = await self._own_draft(account, params)
        path = params.get("path")
        data = draft.media.get(path) if isinstance(path, str) else None
        if data is None:
            raise DeskError("no such picture in this story", 404)
        return {"id": path, "content": data, "encoding": "base64", "path": path,
                "name": str(path).rsplit("/", 1)[-1]}

    async def draft_picture(self, account: Account, path: str) -> bytes | None:
        """A picture sent with a story in the workflow that ``account`` may see."""
        for key, owner in await self.drafts.keys():
            if account.role is Role.CONTRIBUTOR and owner != account.id:
                continue
            draft = await self.drafts.get(key)
            if draft is not None and path in draft.media:
                return base64.b64decode(draft.media[path])
        return None

    async def update_status(self, account: Account, params: Params) -> Any:
        _collection, _slug, draft = await self._own_draft(account, params)
        new = params.get("newStatus")
        if new not in STATUSES:
            raise DeskError(f"unknown status {str(new)[:40]!r}", 422)
        submitting = draft.status == "draft" and new == "pending_review"
        await self._check(account, Action.SUBMIT if submitting else Action.REVIEW,
                          draft.owner)
        await self.drafts.set_status(draft.key, str(new))
        await self.accounts.log(account.id, "status", draft.key, str(new))
        return {"message": f"status is {new}"}

    async def publish(self, account: Account, params: Params) -> Any:
        collection, slug, draft = await self._own_draft(account, params)
        await self._check(account, Action.PUBLISH, draft.owner)
        problems = [problem for path, raw in draft.files.items()
                    for problem in (self.check(path, raw) if self.check else [])]
        if problems:
            raise DeskError("the story cannot be published until this is fixed: "
                            + "; ".join(problems[:5]), 422)
        written = []
        for path, data in draft.media.items():  # the pictures first: the story shows them
            self.files.write(self.files.confine(path, media=True), base64.b64decode(data))
            written.append(path)
        for path, raw in draft.files.items():
            self.files.write(self.files.confine(path), raw.encode())
            written.append(path)
        q = self.db.sql

        def work(cur: Cursor) -> None:
            for path in draft.files:
                cur.execute(q("INSERT INTO owners (path, account) VALUES (?, ?) "
                              "ON CONFLICT (path) DO NOTHING"), (path, draft.owner))

        await self.db.run(work)
        await self.drafts.delete(draft.key)
        await self.accounts.log(account.id, "publish", draft.path, "")
        if self.commit is not None:
            await self.commit(written, account, f"Publish {draft.key}")
        if self.changed is not None:
            await self.changed(account.id, f"publish {draft.path}")
        return {"message": f"{collection}/{slug} published"}

    async def delete_unpublished(self, account: Account, params: Params) -> Any:
        _collection, _slug, draft = await self._own_draft(account, params)
        await self._check(account, Action.DELETE, draft.owner)
        await self.drafts.delete(draft.key)
        await self.accounts.log(account.id, "discard", draft.key, "")
        return {"message": "deleted"}
