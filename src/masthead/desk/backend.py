"""The editor's protocol: Decap CMS's ``proxy`` backend (one JSON POST per action,
``{"action": ..., "params": {...}}``), answered from the site's files and the desk's
database, with the role of the session checked on every action.

Published stories are the site's files. A story in the editorial workflow (draft, in
review, ready) is kept in the desk's database until it is published: then its file is
written into the site, and the one who wrote it is remembered as its owner. A
contributor's call for something the role forbids (another's story, publishing) gets
403, whatever the editor's interface shows."""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable
from typing import Any

from masthead.api.db import Cursor, Database, now_text
from masthead.desk.accounts import Account, Accounts, DeskError
from masthead.desk.roles import Action, Role, may
from masthead.desk.site_files import SiteFile, SiteFiles, sha256

STATUSES = ("draft", "pending_review", "pending_publish")
PAGE_SIZE_LIMIT = 100

Params = dict[str, Any]


def _string(params: Params, key: str) -> str:
    value = params.get(key)
    if not isinstance(value, str) or not value or len(value) > 400:
        raise DeskError(f"'{key}' is missing", 422)
    return value


class Backend:
    """One instance per desk; ``handle`` answers one action for one account."""

    def __init__(self, files: SiteFiles, db: Database, accounts: Accounts,
                 changed: Callable[[str, str], Awaitable[int]] | None = None) -> None:
        self.files = files
        self.db = db
        self.accounts = accounts
        self.changed = changed  # (account, what) after the site's files changed: publish
        self.actions: dict[str, Callable[[Account, Params], Awaitable[Any]]] = {
            "info": self.info, "entriesByFolder": self.entries_by_folder,
            "entriesByFiles": self.entries_by_files, "getEntry": self.get_entry,
            "persistEntry": self.persist_entry, "unpublishedEntries": self.unpublished,
            "unpublishedEntry": self.unpublished_entry,
            "unpublishedEntryDataFile": self.unpublished_data,
            "updateUnpublishedEntryStatus": self.update_status,
            "publishUnpublishedEntry": self.publish,
            "deleteUnpublishedEntry": self.delete_unpublished,
            "deleteFile": self.delete_file, "deleteFiles": self.delete_files,
            "getMedia": self.get_media, "getMediaFile": self.get_media_file,
            "getDeployPreview": self.no_preview,
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

    async def _owner(self, rel: str) -> str:
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

    # --- published files ------------------------------------------------------------------

    async def info(self, account: Account, params: Params) -> Any:
        return {"repo": self.files.root.name, "publish_modes": ["editorial_workflow"],
                "type": "masthead"}

    def _entry(self, file: SiteFile) -> dict[str, Any]:
        data = self.files.read(file)
        return {"data": data.decode("utf-8", "replace") if data is not None else None,
                "file": {"path": file.rel, "id": sha256(data) if data is not None else None}}

    async def entries_by_folder(self, account: Account, params: Params) -> Any:
        folder = _string(params, "folder")
        depth = params.get("depth")
        listed = self.files.listing(folder, str(params.get("extension") or "md"),
                                    depth if isinstance(depth, int) else 1)
        given = params.get("options")
        options: Params = given if isinstance(given, dict) else {}
        page, size = options.get("page"), options.get("pageSize")
        if options.get("pagination") and isinstance(page, int) and isinstance(size, int) \
                and page >= 1 and 1 <= size <= PAGE_SIZE_LIMIT:
            listed = listed[(page - 1) * size:page * size]
        return [self._entry(self.files.confine(rel)) for rel in listed]

    async def entries_by_files(self, account: Account, params: Params) -> Any:
        files = params.get("files")
        if not isinstance(files, list) or len(files) > 1000:
            raise DeskError("'files' must be a list of {path}", 422)
        return [self._entry(self.files.confine(f.get("path") if isinstance(f, dict) else f))
                for f in files]

    async def get_entry(self, account: Account, params: Params) -> Any:
        return self._entry(self.files.confine(params.get("path")))

    async def get_media(self, account: Account, params: Params) -> Any:
        return [self._media(self.files.confine(rel, media=True))
                for rel in self.files.listing(_string(params, "mediaFolder"), "*", 1)
                if "." in rel.rsplit("/", 1)[-1]]

    async def get_media_file(self, account: Account, params: Params) -> Any:
        return self._media(self.files.confine(params.get("path"), media=True))

    def _media(self, file: SiteFile) -> dict[str, Any]:
        data = self.files.read(file)
        if data is None:
            raise DeskError(f"no file {file.rel}", 404)
        return {"id": sha256(data), "content": base64.b64encode(data).decode(),
                "encoding": "base64", "path": file.rel, "name": file.rel.rsplit("/", 1)[-1]}

    async def no_preview(self, account: Account, params: Params) -> Any:
        return None

    async def delete_file(self, account: Account, params: Params) -> Any:
        file = self.files.confine(params.get("path"))
        await self._check(account, Action.DELETE, await self._owner(file.rel), published=True)
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

    async def _draft(self, collection: str, slug: str) -> tuple[str, str, str, str] | None:
        """(path, raw, owner, status) of a story in the workflow."""
        q = self.db.sql

        def work(cur: Cursor) -> tuple[str, str, str, str] | None:
            cur.execute(q("SELECT path, raw, owner, status FROM drafts WHERE key = ?"),
                        (f"{collection}/{slug}",))
            row = cur.fetchone()
            return (str(row[0]), str(row[1]), str(row[2]), str(row[3])) if row else None

        return await self.db.run(work)

    async def persist_entry(self, account: Account, params: Params) -> Any:
        entry = params.get("entry") or (params.get("dataFiles") or [None])[0]
        found = params.get("options")
        options: Params = found if isinstance(found, dict) else {}
        if not isinstance(entry, dict) or not isinstance(entry.get("raw"), str):
            raise DeskError("'entry' must be {slug, path, raw}", 422)
        file = self.files.confine(entry.get("path"))
        slug, collection = _string(entry, "slug"), _string(options, "collectionName")
        draft = await self._draft(collection, slug)
        published_owner = await self._owner(file.rel)
        exists = self.files.read(file) is not None
        if draft is not None:
            await self._check(account, Action.WRITE, draft[2])
        elif exists:  # a published story taken into the workflow again
            await self._check(account, Action.WRITE, published_owner, published=True)
        owner = draft[2] if draft else (published_owner if exists else account.id)
        status = str(options.get("status") or "draft")
        if status not in STATUSES or (status != "draft" and not may(account.role,
                                                                    Action.REVIEW)):
            status = draft[3] if draft else "draft"
        raw = entry["raw"]
        q = self.db.sql
        await self.db.run(lambda cur: cur.execute(
            q("INSERT INTO drafts (key, collection, slug, path, raw, owner, status, updated) "
              "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET "
              "raw = excluded.raw, path = excluded.path, updated = excluded.updated"),
            (f"{collection}/{slug}", collection, slug, file.rel, raw, owner, status,
             now_text())))
        await self.accounts.log(account.id, "save", file.rel, status)
        return {"message": "entry persisted"}

    async def unpublished(self, account: Account, params: Params) -> Any:
        q = self.db.sql

        def work(cur: Cursor) -> list[str]:
            cur.execute(q("SELECT key, owner FROM drafts ORDER BY updated DESC"))
            return [str(r[0]) for r in cur.fetchall()
                    if account.role is not Role.CONTRIBUTOR or r[1] == account.id]

        return await self.db.run(work)

    async def _own_draft(self, account: Account, params: Params
                         ) -> tuple[str, str, tuple[str, str, str, str]]:
        key = params.get("id")
        collection, slug = (key.split("/", 1) if isinstance(key, str) and "/" in key
                            else (params.get("collection"), params.get("slug")))
        if not isinstance(collection, str) or not isinstance(slug, str):
            raise DeskError("'collection' and 'slug' are missing", 422)
        draft = await self._draft(collection, slug)
        if draft is None:
            raise DeskError("Not Found", 404)
        if account.role is Role.CONTRIBUTOR and draft[2] != account.id:
            raise DeskError("a contributor sees only their own stories", 403)
        return collection, slug, draft

    async def unpublished_entry(self, account: Account, params: Params) -> Any:
        collection, slug, (path, _raw, _owner, status) = await self._own_draft(account, params)
        return {"collection": collection, "slug": slug, "status": status,
                "diffs": [{"id": path, "path": path, "newFile":
                           self.files.read(self.files.confine(path)) is None,
                           "binary": False}], "updatedAt": now_text()}

    async def unpublished_data(self, account: Account, params: Params) -> Any:
        _collection, _slug, (_path, raw, _owner, _status) = await self._own_draft(account,
                                                                                 params)
        return {"data": raw}

    async def update_status(self, account: Account, params: Params) -> Any:
        collection, slug, (_path, _raw, owner, status) = await self._own_draft(account,
                                                                               params)
        new = params.get("newStatus")
        if new not in STATUSES:
            raise DeskError(f"unknown status {str(new)[:40]!r}", 422)
        submitting = status == "draft" and new == "pending_review"
        await self._check(account, Action.SUBMIT if submitting else Action.REVIEW, owner)
        q = self.db.sql
        await self.db.run(lambda cur: cur.execute(
            q("UPDATE drafts SET status = ?, updated = ? WHERE key = ?"),
            (new, now_text(), f"{collection}/{slug}")))
        await self.accounts.log(account.id, "status", f"{collection}/{slug}", str(new))
        return {"message": f"status is {new}"}

    async def publish(self, account: Account, params: Params) -> Any:
        collection, slug, (path, raw, owner, _status) = await self._own_draft(account, params)
        await self._check(account, Action.PUBLISH, owner)
        file = self.files.confine(path)
        self.files.write(file, raw.encode())
        q = self.db.sql

        def work(cur: Cursor) -> None:
            cur.execute(q("INSERT INTO owners (path, account) VALUES (?, ?) "
                          "ON CONFLICT (path) DO NOTHING"), (file.rel, owner))
            cur.execute(q("DELETE FROM drafts WHERE key = ?"), (f"{collection}/{slug}",))

        await self.db.run(work)
        await self.accounts.log(account.id, "publish", file.rel, "")
        if self.changed is not None:
            await self.changed(account.id, f"publish {file.rel}")
        return {"message": f"{collection}/{slug} published"}

    async def delete_unpublished(self, account: Account, params: Params) -> Any:
        collection, slug, (_path, _raw, owner, _status) = await self._own_draft(account,
                                                                               params)
        await self._check(account, Action.DELETE, owner)
        q = self.db.sql
        await self.db.run(lambda cur: cur.execute(
            q("DELETE FROM drafts WHERE key = ?"), (f"{collection}/{slug}",)))
        await self.accounts.log(account.id, "discard", f"{collection}/{slug}", "")
        return {"message": "deleted"}
