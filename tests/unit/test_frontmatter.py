
from masthead.content.discover import SourceFile
from masthead.content.frontmatter import Document, parse_document
from masthead.errors import Diagnostic

SOURCE = SourceFile("/x/content/posts/a.md", "content/posts/a.md", "posts", None, "a")


def test_splits_meta_and_body_and_counts_body_line() -> None:
    doc = parse_document(SOURCE, '---\ntitle: "Hi"\nviews: 3\n---\nBody\n')
    assert isinstance(doc, Document)
    assert doc.meta == {"title": "Hi", "views": 3}
    assert doc.body == "Body\n"
    assert doc.body_line == 5


def test_line_of_finds_the_key() -> None:
    doc = parse_document(SOURCE, '---\ntitle: "Hi"\ndate: x\n---\ndate: not meta\n')
    assert isinstance(doc, Document)
    assert doc.line_of("date") == 3
    assert doc.line_of("missing") is None


def test_line_of_prefers_the_top_level_key_and_reads_other_spellings() -> None:
    doc = parse_document(SOURCE, '---\ntitle: a\nsocial:\n  author: x\n\nauthor: b\n'
                                 'category : c\n---\ncategory: body\n')
    assert isinstance(doc, Document)
    assert doc.line_of("author") == 6  # not the nested key, not the blank line before
    assert doc.line_of("category") == 7  # a space before the colon
    assert doc.line_of("title") == 2


def test_invalid_yaml_reports_the_file_line() -> None:
    result = parse_document(SOURCE, '---\ntitle: "Hi"\ndescription: "unclosed\nviews: 3\n---\n')
    assert isinstance(result, Diagnostic)
    assert result.path == "content/posts/a.md"
    assert result.line is not None and result.line >= 3
    assert result.message.startswith("invalid YAML")


def test_missing_front_matter() -> None:
    result = parse_document(SOURCE, "Just text\n")
    assert isinstance(result, Diagnostic)
    assert result.message == "no front matter found"


def test_unclosed_front_matter() -> None:
    result = parse_document(SOURCE, "---\ntitle: x\n")
    assert isinstance(result, Diagnostic)
    assert result.message == "front matter is not closed"


def test_a_list_is_not_front_matter() -> None:
    result = parse_document(SOURCE, "---\n- a\n- b\n---\n")
    assert isinstance(result, Diagnostic)
    assert "key: value" in result.message


def test_byte_order_mark_and_crlf_are_accepted() -> None:
    doc = parse_document(SOURCE, '\ufeff---\r\ntitle: "Hi"\r\n---\r\nBody\r\n')
    assert isinstance(doc, Document)
    assert doc.meta["title"] == "Hi"
    assert doc.body.startswith("Body")
