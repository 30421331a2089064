"""masthead import jekyll / hugo on sites of our own: front matter of both kinds, Liquid
tags and shortcodes, static files and bundles, old URLs redirected, broken input listed,
and importing again without duplicates."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from masthead.config import load_config
from masthead.options import BuildOptions
from masthead.pipeline import build_site
from tests.conftest import NOW


def write(root: Path, files: dict[str, str | bytes]) -> Path:
    for rel, data in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data if isinstance(data, bytes) else data.encode())
    return root


def run(system: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "masthead", "import", system, *args],
                          capture_output=True, text=True, timeout=120)


def _png() -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (64, 32), (1, 2, 3)).save(out, "PNG")
    return out.getvalue()


JEKYLL = {
    "_config.yml": "title: Степной вестник\nurl: https://old.example.org\npermalink: pretty\n",
    "_posts/2024-03-01-дельта.md": (
        "---\ntitle: Дельта пересыхает\ncategories: [Новости]\ntags: [вода, климат]\n"
        "author: Ирина\nredirect_from: [/delta-old/]\n---\n"
        "Текст. ![Карта](/assets/map.png)\n\n"
        "{% highlight python %}\nprint('{{ не шаблон }}')\n{% endhighlight %}\n\n"
        "См. [второй]({% post_url 2024-03-02-vtoroj %}).\n\n"
        "{% include youtube.html id=\"dQw4w9WgXcQ\" %}\n\n{% comment_box %}\n"),
    "_posts/2024-03-02-vtoroj.markdown": (
        "---\ntitle: Второй\ndate: 2024-03-02 10:00:00 +0300\n---\nЕщё.\n"),
    "_posts/2024-03-03-broken.md": "---\ntitle: Сломан\ntags:\n\t- tab\n---\nx\n",
    "_drafts/idea.md": "---\ntitle: Идея\n---\nПотом.\n",
    "_posts/2024-03-05-bom-crlf.md": "\ufeff---\r\ntitle: С BOM\r\n---\r\nСтрока один.\r\n",
    "_posts/2024-03-06-bare.md": "Просто текст без шапки.\n",
    "_posts/2024-03-07-empty.md": "",
    "about.md": "---\ntitle: О нас\npermalink: /about-us/\n---\nКто мы.\n",
    "assets/map.png": _png(),
}

HUGO = {
    "hugo.toml": 'title = "Steppe Ledger"\nbaseURL = "https://old.example.org/"\n'
                 "[permalinks]\nposts = '/:year/:month/:slug/'\n",
    "content/posts/delta.md": (
        '+++\ntitle = "The delta is drying"\ndate = 2024-03-01T09:00:00+03:00\n'
        'tags = ["water"]\ncategories = ["News"]\naliases = ["/old/delta/"]\n+++\n'
        'Text.\n\n{{< figure src="/images/map.png" alt="Map" caption="The delta" >}}\n\n'
        "{{< youtube dQw4w9WgXcQ >}}\n\n{{< tweet user=\"ledger\" id=\"42\" >}}\n\n"
        "{{< gist someone abc123 >}}\n\n{{< highlight go >}}\nfmt.Println(1)\n"
        "{{< /highlight >}}\n\n[Second]({{< ref \"second\" >}})\n\n{{< mystery x >}}\n"),
    "content/posts/second/index.md": (
        "---\ntitle: Second\ndate: 2024-03-02\ndraft: false\n---\n![Photo](photo.png)\n"),
    "content/posts/second/photo.png": _png(),
    "content/posts/wip.md": "---\ntitle: WIP\ndate: 2024-03-04\ndraft: true\n---\nx\n",
    "content/about.md": "---\ntitle: About\n---\nWho we are.\n",
    "static/images/map.png": _png(),
}


def test_jekyll(tmp_path: Path) -> None:
    source = write(tmp_path / "old", JEKYLL)
    site = tmp_path / "site"
    result = run("jekyll", str(source), str(site))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "1 drafts" in out and "1 pages" in out and "4 posts" in out, out
    assert "skipped: _posts/2024-03-03-broken.md:4: invalid front matter" in out
    assert "not tabs" in out and "skipped: _posts/2024-03-07-empty.md:1: an empty file" in out
    assert "_posts/2024-03-06-bare.md:1: no front matter" in out
    assert "\r" not in (site / "content" / "posts" / "bom-crlf.md").read_text()
    assert "title: С BOM" in (site / "content" / "posts" / "bom-crlf.md").read_text()
    assert "title: Bare" in (site / "content" / "posts" / "bare.md").read_text()
    assert (site / "content" / "authors" / "ирина.md").is_file()
    assert (site / "content" / "categories" / "новости.md").is_file()
    assert "Liquid {% comment_box %} kept as text" in out
    story = (site / "content" / "posts" / "дельта.md").read_text()
    assert "category: Новости" in story and "author: Ирина" in story
    assert "```python\nprint('{{ не шаблон }}')\n```" in story
    assert "[второй](/posts/vtoroj/)" in story
    assert "youtube.com/embed/dQw4w9WgXcQ" in story and "{% comment_box %}" in story
    assert "date: '2024-03-02T10:00:00+03:00'" in (
        site / "content" / "posts" / "vtoroj.md").read_text()
    assert (site / "public" / "assets" / "map.png").is_file()
    redirects = (site / "public" / "_redirects").read_text()
    assert ("/%D0%BD%D0%BE%D0%B2%D0%BE%D1%81%D1%82%D0%B8/2024/03/01/"  # /новости/...
            "%D0%B4%D0%B5%D0%BB%D1%8C%D1%82%D0%B0/ /posts/%D0%B4%D0%B5%D0%BB%D1%8C%D1%82%D0%B0/"
            " 301") in redirects
    assert "/delta-old/ /posts/" in redirects and "/about-us/ /about/ 301" in redirects
    report = build_site(load_config(site, {"search": "false", "images": "false"}),
                        site / "dist", BuildOptions(now=NOW))
    assert not [d for d in report.diagnostics if d.severity.name == "ERROR"]
    again = run("jekyll", str(source), str(site))
    assert again.returncode == 0 and "0 files written" in again.stdout
    assert len(list((site / "content" / "posts").glob("*.md"))) == 5
    # An edit in the source changes one file; a local edit is kept and said.
    changed = source / "_posts" / "2024-03-02-vtoroj.markdown"
    changed.write_text(changed.read_text().replace("Ещё.", "Ещё больше."))
    third = run("jekyll", str(source), str(site))
    assert "1 files written" in third.stdout, third.stdout
    local = site / "content" / "posts" / "vtoroj.md"
    local.write_text(local.read_text() + "\nПравка редакции.\n")
    changed.write_text(changed.read_text().replace("Ещё больше.", "Ещё раз."))
    fourth = run("jekyll", str(source), str(site))
    assert "files edited since the last import were kept" in fourth.stdout
    assert "content/posts/vtoroj.md" in fourth.stdout and "Правка редакции." in local.read_text()


def test_hugo(tmp_path: Path) -> None:
    source = write(tmp_path / "old", HUGO)
    site = tmp_path / "site"
    result = run("hugo", str(source), str(site))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "1 drafts" in out and "1 pages" in out and "2 posts" in out, out
    assert "shortcode {{< mystery x >}} kept as text" in out
    story = (site / "content" / "posts" / "delta.md").read_text()
    assert ('<figure><img src="/images/map.png" alt="Map"><figcaption>The delta'
            "</figcaption></figure>") in story
    assert "youtube.com/embed/dQw4w9WgXcQ" in story
    assert "https://twitter.com/ledger/status/42" in story
    assert "https://gist.github.com/someone/abc123" in story
    assert "```go\nfmt.Println(1)\n```" in story and "[Second](/posts/second/)" in story
    assert "{{< mystery x >}}" in story
    assert "![Photo](/images/second/photo.png)" in (
        site / "content" / "posts" / "second.md").read_text()
    assert (site / "public" / "images" / "second" / "photo.png").is_file()
    assert (site / "public" / "images" / "map.png").is_file()
    redirects = (site / "public" / "_redirects").read_text()
    assert "/2024/03/delta/ /posts/delta/ 301" in redirects
    assert "/old/delta/ /posts/delta/ 301" in redirects
    report = build_site(load_config(site, {"search": "false", "images": "false",
                                           "embed_posters": "false"}),
                        site / "dist", BuildOptions(now=NOW))
    assert not [d for d in report.diagnostics if d.severity.name == "ERROR"]


def test_not_a_site_is_said(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    for system in ("jekyll", "hugo"):
        result = run(system, str(tmp_path / "empty"), str(tmp_path / "site"))
        assert result.returncode == 1 and f"is not a {system.title()} site" in result.stderr
        assert "Traceback" not in result.stderr
