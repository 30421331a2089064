# ruff: noqa: E501  (export fixtures hold WordPress lines as WordPress writes them)
"""masthead import wordpress on exports of our own: Russian titles and slugs, every
conversion (Gutenberg, shortcodes, media from the uploads folder), broken input, and
importing again without duplicating or overwriting an edit."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from masthead.config import load_config
from masthead.options import BuildOptions
from masthead.pipeline import build_site
from tests.conftest import NOW

HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/"
 xmlns:content="http://purl.org/rss/1.0/modules/content/"
 xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="http://wordpress.org/export/1.2/">
<channel><title>Степной вестник</title><link>https://old.example.org</link>
<language>ru-RU</language><wp:wxr_version>1.2</wp:wxr_version>
<wp:base_site_url>https://old.example.org</wp:base_site_url>
<wp:author><wp:author_login>irina</wp:author_login>
<wp:author_display_name><![CDATA[Ирина Соколова]]></wp:author_display_name></wp:author>
<wp:category><wp:category_nicename>%d0%bd%d0%be%d0%b2%d0%be%d1%81%d1%82%d0%b8</wp:category_nicename>
<wp:category_parent></wp:category_parent><wp:cat_name><![CDATA[Новости]]></wp:cat_name></wp:category>
"""


def item(post_id: int, title: str, slug: str, content: str, *, status: str = "publish",
         kind: str = "post", date: str = "2024-03-01 09:00:00", extra: str = "",
         link: str = "") -> str:
    link = link or f"https://old.example.org/2024/03/01/{slug}/"
    return f"""<item><title><![CDATA[{title}]]></title><link>{link}</link>
<dc:creator><![CDATA[irina]]></dc:creator>
<content:encoded><![CDATA[{content}]]></content:encoded>
<excerpt:encoded><![CDATA[]]></excerpt:encoded>
<wp:post_id>{post_id}</wp:post_id><wp:post_date>{date}</wp:post_date>
<wp:post_date_gmt>{date}</wp:post_date_gmt><wp:post_name>{slug}</wp:post_name>
<wp:status>{status}</wp:status><wp:post_parent>0</wp:post_parent>
<wp:post_type>{kind}</wp:post_type><wp:post_password></wp:post_password>
<category domain="category" nicename="%d0%bd%d0%be%d0%b2%d0%be%d1%81%d1%82%d0%b8"><![CDATA[Новости]]></category>
<category domain="post_tag" nicename="%d1%8f%d0%b7%d1%8b%d0%ba"><![CDATA[Язык]]></category>
{extra}</item>
"""


ATTACHMENT = """<item><title>photo</title><link>https://old.example.org/photo/</link>
<wp:post_id>{id}</wp:post_id><wp:post_type>attachment</wp:post_type><wp:status>inherit</wp:status>
<wp:post_parent>10</wp:post_parent><wp:post_name>photo-{id}</wp:post_name>
<wp:attachment_url>https://old.example.org/wp-content/uploads/{rel}</wp:attachment_url></item>
"""

BODY = """Первый абзац со *звёздочками* в тексте.
Вторая строка.

[caption id="attachment_21" align="alignnone" width="640"]<img src="https://old.example.org/wp-content/uploads/2024/03/delta.jpg" alt="Дельта" width="640" height="400" /> Дельта весной[/caption]

[gallery ids="21,22"]

<!-- wp:paragraph -->
<p>Абзац из блока.</p>
<!-- /wp:paragraph -->

<!-- wp:embed {"url":"https://www.youtube.com/watch?v=dQw4w9WgXcQ","type":"video"} -->
<figure class="wp-block-embed"><div class="wp-block-embed__wrapper">
https://www.youtube.com/watch?v=dQw4w9WgXcQ
</div></figure>
<!-- /wp:embed -->

[audio mp3="https://old.example.org/wp-content/uploads/2024/03/song.mp3"]

[video src="https://old.example.org/wp-content/uploads/2024/03/clip.mp4"]

[youtube https://youtu.be/dQw4w9WgXcQ]

[tweet https://twitter.com/someone/status/123]

[poll id="7"]

См. <a href="https://old.example.org/2024/03/01/%d0%b2%d1%82%d0%be%d1%80%d0%be%d0%b9/">второй материал</a>.
"""


def export(tmp_path: Path, items: str) -> Path:
    path = tmp_path / "export.xml"
    path.write_text(HEAD + items + "</channel></rss>\n", encoding="utf-8")
    return path


def uploads(tmp_path: Path) -> Path:
    folder = tmp_path / "uploads"
    (folder / "2024" / "03").mkdir(parents=True)
    from PIL import Image

    Image.new("RGB", (640, 400), (10, 80, 120)).save(folder / "2024" / "03" / "delta.jpg")
    (folder / "2024" / "03" / "song.mp3").write_bytes(b"ID3" + b"\0" * 64)
    return folder


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "masthead", "import", "wordpress", *args],
                          capture_output=True, text=True, timeout=120)


ITEMS = (item(10, "Дельта пересыхает", "%d0%b4%d0%b5%d0%bb%d1%8c%d1%82%d0%b0", BODY)
         + item(11, "Второй материал", "%25d0%25b2%25d1%2582%25d0%25be%25d1%2580%25d0%25be"
                "%25d0%25b9", "Текст.")  # encoded twice
         + item(12, "Черновик", "chernovik", "Ещё пишется.", status="draft",
                date="0000-00-00 00:00:00")
         + item(13, "О нас", "o-nas", "Кто мы.", kind="page",
                link="https://old.example.org/o-nas/")
         + item(14, "Корзина", "korzina", "x", status="trash")
         + ATTACHMENT.format(id=21, rel="2024/03/delta.jpg")
         + ATTACHMENT.format(id=22, rel="2024/03/missing.jpg"))


def test_conversions_media_and_readable_names(tmp_path: Path) -> None:
    site = tmp_path / "site"
    result = run(str(export(tmp_path, ITEMS)), str(site), "--uploads", str(uploads(tmp_path)))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "1 drafts" in out and "1 pages" in out and "2 posts" in out
    assert "skipped: item 14 'Корзина': status 'trash'" in out
    assert "unknown shortcode [poll] kept as text" in out
    assert "https://old.example.org/wp-content/uploads/2024/03/missing.jpg" in out
    assert "no date (0000-00-00); dated now" in out
    story = (site / "content" / "posts" / "дельта.md").read_text()
    assert (site / "content" / "posts" / "второй.md").is_file()  # decoded twice
    assert (site / "content" / "categories" / "новости.md").is_file()
    assert "author: Ирина Соколова" in story and "category: Новости" in story
    assert "\\*звёздочками\\*" in story  # literal asterisks stay literal
    assert ('<figure><img src="/uploads/2024/03/delta.jpg" alt="Дельта" width="640" '
            'height="400"><figcaption>Дельта весной</figcaption></figure>') in story
    assert '<figure class="gallery"><img src="/uploads/2024/03/delta.jpg" alt="">' in story
    assert 'https://www.youtube.com/embed/dQw4w9WgXcQ' in story
    assert '<audio controls="" src="/uploads/2024/03/song.mp3"></audio>' in story
    assert ('<video controls="" src="https://old.example.org/wp-content/uploads/2024/03/'
            'clip.mp4"') in story  # not in the uploads folder: its old address, listed
    assert "https://twitter.com/someone/status/123" in story
    assert "[poll id=\"7\"]" in story
    assert "[второй материал](/posts/второй/)" in story  # a link to the new address
    assert "Абзац из блока." in story and "wp:paragraph" not in story
    assert (site / "public" / "uploads" / "2024" / "03" / "delta.jpg").is_file()
    assert "draft: true" in (site / "content" / "posts" / "chernovik.md").read_text()
    redirects = (site / "public" / "_redirects").read_text()
    assert "/2024/03/01/%D0%B4%D0%B5%D0%BB%D1%8C%D1%82%D0%B0/ " \
           "/posts/%D0%B4%D0%B5%D0%BB%D1%8C%D1%82%D0%B0/ 301" in redirects
    assert '"/2024/03/01/дельта/" "/posts/%D0%B4%D0%B5%D0%BB%D1%8C%D1%82%D0%B0/";' in (
        site / "redirects.nginx").read_text()
    assert "url=/posts/%D0%B4%D0%B5%D0%BB%D1%8C%D1%82%D0%B0/" in (
        site / "public" / "2024" / "03" / "01" / "дельта" / "index.html").read_text()
    report = build_site(load_config(site, {"search": "false", "embed_posters": "false"}),
                        site / "dist", BuildOptions(now=NOW))
    assert not [d for d in report.diagnostics if d.severity.name == "ERROR"]
    page = (site / "dist" / "posts" / "дельта" / "index.html").read_text()
    assert "Дельта пересыхает" in page
    assert 'class="embed-facade' in page and "<iframe" not in page  # click-to-load


def test_importing_again_updates_adds_and_keeps_edits(tmp_path: Path) -> None:
    site = tmp_path / "site"
    first = export(tmp_path, ITEMS)
    assert run(str(first), str(site)).returncode == 0
    edited = site / "content" / "posts" / "второй.md"
    edited.write_text(edited.read_text() + "\nДописано редакцией.\n")
    time.sleep(0.01)
    more = ITEMS.replace("Кто мы.", "Кто мы теперь.") + item(15, "Новый", "novyj", "Новое.")
    second = run(str(export(tmp_path, more)), str(site))
    assert second.returncode == 0, second.stderr
    assert "content/posts/второй.md" in second.stdout  # kept, and said
    assert "Дописано редакцией." in edited.read_text()
    assert "Кто мы теперь." in (site / "content" / "pages" / "o-nas.md").read_text()
    assert (site / "content" / "posts" / "novyj.md").is_file()
    assert len(list((site / "content" / "posts").glob("*.md"))) == 4  # no duplicates
    forced = run(str(export(tmp_path, more)), str(site), "--force")
    assert forced.returncode == 0 and "Дописано редакцией." not in edited.read_text()


def test_hostile_exports_are_refused_or_contained(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.xml"
    bomb.write_text('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
                    '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
                    "<rss><channel><title>&lol2;</title></channel></rss>")
    started = time.monotonic()
    refused = run(str(bomb), str(tmp_path / "a"))
    assert refused.returncode == 1 and "not a WordPress export that can be read" in \
        refused.stderr and time.monotonic() - started < 30
    assert "Traceback" not in refused.stderr
    not_wxr = tmp_path / "feed.xml"
    not_wxr.write_text("<rss><channel><title>x</title></channel></rss>")
    assert "no WordPress data" in run(str(not_wxr), str(tmp_path / "b")).stderr
    secret = tmp_path / "secret.txt"
    secret.write_text("private")
    sneaky = (item(30, "../../x", "..%2f..%2fescape", "Текст.")
              + ATTACHMENT.format(id=31, rel="../../secret.txt"))
    site = tmp_path / "site"
    (tmp_path / "up").mkdir()
    done = run(str(export(tmp_path, sneaky)), str(site), "--uploads", str(tmp_path / "up"))
    assert done.returncode == 0, done.stderr
    written = {p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file()}
    assert all(p.startswith(("site/", "up", "export.xml", "secret.txt", "bomb.xml",
                             "feed.xml")) for p in written), written
    assert not any("secret" in p for p in written if p.startswith("site/"))
