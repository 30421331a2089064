"""Every kind of bad input gets one diagnostic with file, line and a hint."""

from collections.abc import Callable
from pathlib import Path

from masthead.config import load_config
from masthead.errors import Diagnostic, Severity
from masthead.options import BuildOptions
from masthead.output import MemorySink
from masthead.pipeline import build
from tests.conftest import NOW, SiteBuilder, post, write_site

Errors = Callable[..., list[Diagnostic]]


def only(diagnostics: list[Diagnostic]) -> Diagnostic:
    errors = [d for d in diagnostics if d.severity is Severity.ERROR]
    assert len(errors) == 1, [d.format() for d in errors]
    return errors[0]


def test_invalid_yaml(build_errors: Errors) -> None:
    text = '---\ntitle: "A"\ndescription: Fixing: the roads\ndate: "2024-01-01T00:00:00Z"\n---\n'
    problem = only(build_errors({"content/posts/a.md": text}))
    assert problem.location() == "content/posts/a.md:3:20"
    assert problem.message == "invalid YAML: mapping values are not allowed in this context"
    assert problem.hint == "put text that contains ':' or starts with a quote in double quotes"


def test_missing_title(build_errors: Errors) -> None:
    problem = only(build_errors({"content/posts/a.md": post(title=None)}))
    assert problem.format() == ("content/posts/a.md:1: error: 'title' is missing\n"
                                "  hint: add a line 'title: ...' to the front matter")


def test_unknown_author_suggests_the_closest_name(build_errors: Errors) -> None:
    [problem] = build_errors({"content/posts/a.md": post(author="Anne Lee")}, strict=True)
    assert problem.format() == ("content/posts/a.md:4: warning: unknown author 'Anne Lee': "
                                "a page is made from its name\n"
                                "  hint: did you mean 'Ann Lee'?")


def test_unknown_category_lists_the_known_ones(build_errors: Errors) -> None:
    [problem] = build_errors({"content/posts/a.md": post(category="Sport")}, strict=True)
    assert problem.location() == "content/posts/a.md:5"
    assert problem.message == "unknown category 'Sport': a page is made from its name"
    assert problem.hint == "known category names: 'News'"


def test_bad_date(build_errors: Errors) -> None:
    problem = only(build_errors({"content/posts/a.md": post(date="2024-13-01")}))
    assert problem.format() == (
        "content/posts/a.md:3: error: 'date' is not a date ('2024-13-01')\n"
        "  hint: use an ISO date such as 2024-01-13T09:00:00+03:00")


def test_date_without_offset_is_a_warning(build_site: SiteBuilder) -> None:
    built = build_site({"content/posts/a.md": post(date="2024-01-02T10:00:00")})
    (warning,) = built.report.diagnostics
    assert warning.severity is Severity.WARNING
    assert warning.message == "'date' has no time zone offset; read in UTC"
    assert "/posts/a/index.html".lstrip("/") in built.paths


def test_duplicate_slug(build_errors: Errors) -> None:
    problem = only(build_errors({"content/posts/a.md": post(), "content/posts/a.markdown": post()}))
    assert problem.path == "content/posts/a.md"
    assert problem.message == "duplicate slug 'a': content/posts/a.markdown already uses it"


def test_missing_image(build_errors: Errors) -> None:
    [problem] = build_errors({"content/posts/a.md": post(image="/images/gone.jpg")},
                             strict=True)
    assert problem.format() == (
        "content/posts/a.md:6: warning: image '/images/gone.jpg' does not exist; the page is "
        "shown without it\n"
        "  hint: put the file at public/images/gone.jpg, or correct the path")


def test_missing_image_in_the_body(build_errors: Errors) -> None:
    body = "Intro.\n\n![A map](/images/map.png)\n"
    [problem] = build_errors({"content/posts/a.md": post(body=body)}, strict=True)
    assert problem.location() == "content/posts/a.md:9"
    assert problem.message == ("image '/images/map.png' does not exist; the page is shown "
                               "without it")


def test_missing_images_leave_the_page_without_them(tmp_path: Path) -> None:
    """As Banter publishes: the page, without the picture, and a warning."""
    body = "Intro.\n\n![A map](/images/map.png)\n\nAfter.\n"
    root = write_site(tmp_path / "site", {"content/posts/a.md": post(
        image="/images/gone.jpg", body=body)})
    sink = MemorySink()
    report = build(load_config(root), sink, BuildOptions(now=NOW))
    assert len(report.diagnostics) == 2
    page = sink.files["posts/a/index.html"].decode()
    assert "Intro." in page and "After." in page
    assert "map.png" not in page and "gone.jpg" not in page


def test_two_files_for_one_url(build_errors: Errors) -> None:
    page = '---\ntitle: "Categories"\n---\nA page.\n'
    problem = only(build_errors({"content/posts/a.md": post(),
                                 "content/pages/categories.md": page}))
    assert problem.message == ("two files for one URL /categories/: masthead terms page and "
                               "content/pages/categories.md")


def test_wrong_types_are_reported_per_key(build_errors: Errors) -> None:
    diagnostics = build_errors({"content/posts/a.md": post(views="many", draft="yes")})
    assert sorted(d.message for d in diagnostics) == [
        "'draft' must be true or false ('yes')",
        "'views' must be a whole number of at least 0 ('many')",
    ]


def test_misspelt_key_is_a_warning_with_a_suggestion(build_site: SiteBuilder) -> None:
    built = build_site({"content/posts/a.md": post(catgory="News")})
    (warning,) = built.report.diagnostics
    assert (warning.message, warning.hint) == ("unknown key 'catgory'", "did you mean 'category'?")


def test_every_bad_file_is_reported_not_just_the_first(build_errors: Errors) -> None:
    diagnostics = build_errors({"content/posts/a.md": post(date="soon"),
                                "content/posts/b.md": post(author="Nobody"),
                                "content/posts/c.md": "no front matter\n"})
    assert sorted({d.path for d in diagnostics}) == [
        "content/posts/a.md", "content/posts/b.md", "content/posts/c.md"]


def test_template_mistakes_name_the_template_and_line(build_errors: Errors) -> None:
    template = "<!doctype html>\n<title>x</title>\n<p>{{ no_such_value.title }}</p>\n"
    problem = only(build_errors({"content/posts/a.md": post(), "templates/404.html": template}))
    assert problem.location() == "templates/404.html:3"
    assert problem.message.startswith("template error while rendering /404.html")


def test_template_syntax_errors_name_the_template_and_line(build_errors: Errors) -> None:
    template = "<!doctype html>\n{% if x %}\n<p>never closed</p>\n"
    problem = only(build_errors({"content/posts/a.md": post(), "templates/404.html": template}))
    assert problem.path == "templates/404.html"
    assert problem.message.startswith("template error:")
