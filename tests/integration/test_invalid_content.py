"""Every kind of bad input gets one diagnostic with file, line and a hint."""

from collections.abc import Callable

from masthead.errors import Diagnostic, Severity
from tests.conftest import SiteBuilder, post

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
    problem = only(build_errors({"content/posts/a.md": post(author="Anne Lee")}))
    assert problem.format() == ("content/posts/a.md:4: error: unknown author 'Anne Lee'\n"
                                "  hint: did you mean 'Ann Lee'?")


def test_unknown_category_lists_the_known_ones(build_errors: Errors) -> None:
    problem = only(build_errors({"content/posts/a.md": post(category="Sport")}))
    assert problem.location() == "content/posts/a.md:5"
    assert problem.message == "unknown category 'Sport'"
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
    problem = only(build_errors({"content/posts/a.md": post(image="/images/gone.jpg")}))
    assert problem.format() == (
        "content/posts/a.md:6: error: image '/images/gone.jpg' does not exist\n"
        "  hint: put the file at public/images/gone.jpg, or correct the path")


def test_missing_image_in_the_body(build_errors: Errors) -> None:
    body = "Intro.\n\n![A map](/images/map.png)\n"
    problem = only(build_errors({"content/posts/a.md": post(body=body)}))
    assert problem.location() == "content/posts/a.md:9"
    assert problem.message == "image '/images/map.png' does not exist"


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
