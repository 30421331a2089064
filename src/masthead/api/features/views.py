"""View counts: ``POST /api/views`` from the site's pages, ``GET /api/views`` and
``/api/views/all`` for the "Most read" block and the build.

What is stored and why: a view is a random id made by the page for one page load (kept
two days, so that a retry is recognised) and a count per path; nothing about the reader."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from masthead.api.context import ApiContext, read_body, same_site, wants_html
from masthead.api.db import Cursor, Database, now_text
from masthead.api.protection import BadInput, clean_path, clean_view_id

VIEW_ID_DAYS = 2
MAX_QUERY_PATHS = 100

# PostgreSQL: the same as ViewCounts.record_view's transaction in one statement (one
# round trip instead of five: the hot path of a busy site).
_RECORD_VIEW = """
WITH fresh AS (
    INSERT INTO view_ids (id, path, seen) VALUES (%s, %s, %s)
    ON CONFLICT (id) DO NOTHING RETURNING path),
bumped AS (
    INSERT INTO view_counts (path, views) SELECT path, 1 FROM fresh
    ON CONFLICT (path) DO UPDATE SET views = view_counts.views + 1 RETURNING views)
SELECT EXISTS (SELECT 1 FROM fresh),
       COALESCE((SELECT views FROM bumped),
                (SELECT views FROM view_counts WHERE path = %s), 0)
"""


class ViewCounts:
    """The views' SQL."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def record_view(self, path: str, view_id: str) -> tuple[bool, int]:
        """Count one page load: (counted now, the path's count). An id seen before is
        not counted again (a retry)."""
        if self.db.dialect == "postgresql":
            row = await self.db.single(_RECORD_VIEW, (view_id, path, now_text(), path))
            return bool(row[0]), int(row[1])
        q = self.db.sql

        def work(cur: Cursor) -> tuple[bool, int]:
            cur.execute(q("INSERT INTO view_ids (id, path, seen) VALUES (?, ?, ?) "
                          "ON CONFLICT (id) DO NOTHING"), (view_id, path, now_text()))
            counted = cur.rowcount == 1
            if counted:
                cur.execute(q("INSERT INTO view_counts (path, views) VALUES (?, 1) "
                              "ON CONFLICT (path) DO UPDATE SET views = view_counts.views + 1"),
                            (path,))
            cur.execute(q("SELECT views FROM view_counts WHERE path = ?"), (path,))
            row = cur.fetchone()
            return counted, int(row[0]) if row else 0

        return await self.db.run(work)

    async def view_counts(self, paths: Sequence[str] | None = None) -> dict[str, int]:
        """Counts of ``paths`` (0 for a path never viewed), or of every counted path."""
        q = self.db.sql

        def work(cur: Cursor) -> dict[str, int]:
            if paths is None:
                cur.execute("SELECT path, views FROM view_counts")
                return {row[0]: int(row[1]) for row in cur.fetchall()}
            found = dict.fromkeys(paths, 0)
            if paths:
                marks = ", ".join("?" for _ in paths)
                cur.execute(q(f"SELECT path, views FROM view_counts WHERE path IN ({marks})"),
                            tuple(paths))
                found.update({row[0]: int(row[1]) for row in cur.fetchall()})
            return found

        return await self.db.run(work)

    async def forget_old_view_ids(self) -> int:
        cutoff = (dt.datetime.now(dt.UTC) - dt.timedelta(days=VIEW_ID_DAYS)).isoformat(
            timespec="seconds")
        q = self.db.sql

        def work(cur: Cursor) -> int:
            cur.execute(q("DELETE FROM view_ids WHERE seen < ?"), (cutoff,))
            return int(cur.rowcount)

        return await self.db.run(work)


class Views:
    """The feature: its routes and its housekeeping."""

    def __init__(self, context: ApiContext) -> None:
        self.context = context
        self.store = ViewCounts(context.db)

    def routes(self) -> list[Route]:
        return [Route("/api/views", self.post_view, methods=["POST"]),
                Route("/api/views", self.get_views, methods=["GET"]),
                Route("/api/views/all", self.all_views, methods=["GET"])]

    async def start(self) -> None:
        await self.store.forget_old_view_ids()

    async def housekeeping(self) -> None:
        await self.store.forget_old_view_ids()

    async def post_view(self, request: Request) -> Response:
        if not same_site(request):
            raise BadInput("views are counted from the site's own pages only", status=403)
        if wants_html(request) or request.headers.get("content-type", "").split(";")[0] \
                .strip().lower() != "application/json":
            raise BadInput("send JSON (Content-Type: application/json)", status=415)
        data = await read_body(request)
        path = clean_path(data.get("path"))
        view_id = clean_view_id(data.get("id"))
        if path not in self.context.paths:
            raise BadInput("no such article on this site", "path", 404)
        counted, views = await self.store.record_view(path, view_id)
        return JSONResponse({"path": path, "views": views, "counted": counted},
                            headers={"Cache-Control": "no-store"})

    async def get_views(self, request: Request) -> Response:
        asked = request.query_params.getlist("path")
        if not asked:
            raise BadInput("ask for one or more paths: /api/views?path=/posts/a", "path")
        if len(asked) > MAX_QUERY_PATHS:
            raise BadInput(f"at most {MAX_QUERY_PATHS} paths at once", "path")
        paths = {raw: clean_path(raw) for raw in asked}
        counts = await self.store.view_counts(sorted(set(paths.values())))
        return JSONResponse({raw: counts.get(path, 0) for raw, path in paths.items()},
                            headers={"Cache-Control": "no-store"})

    async def all_views(self, request: Request) -> Response:
        counts = await self.store.view_counts()
        known = self.context.paths.paths
        return JSONResponse({p: n for p, n in sorted(counts.items()) if p in known},
                            headers={"Cache-Control": "no-store"})
