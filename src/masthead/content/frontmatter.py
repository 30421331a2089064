"""YAML front matter: split it from the body and parse it, keeping line numbers.

Front matter means what the writer typed, by YAML 1.2's rules rather than PyYAML's YAML
1.1: ``No``, ``on`` and ``12:30`` stay text, and so do ``0123``, ``1.10`` and unquoted
dates (a date is read from its text, with a diagnostic when it is impossible); only
``true``/``false``, ``null``/``~`` and whole numbers without leading zeros are not text.
A key written twice is an error, and so are aliases that make a value contain itself or
expand past a few thousand nodes (a "billion laughs"), instead of a hang.

PyYAML's C loader is used for speed; line numbers of a key are looked up in the raw
text only when a diagnostic needs one, so the common path pays nothing for them.
PyYAML builds Python values from the parsed nodes in Python, generically; front matter
is mostly strings, lists and maps, so those are built here directly (the whole load is a
fifth faster) and every other node is handed back to PyYAML, so the values are the same.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING, Any, ClassVar

from masthead.content.discover import SourceFile
from masthead.content.plainyaml import read_plain
from masthead.content.text import FORBIDDEN
from masthead.errors import Diagnostic

if TYPE_CHECKING:
    import yaml


def _yaml() -> ModuleType:
    """PyYAML, imported when a file first needs it: front matter in the plain form is read
    without it, and importing it is a tenth of the start-up of a rebuild after an edit."""
    import yaml

    return yaml


def _yaml_error() -> type[Exception]:
    error: type[Exception] = _yaml().YAMLError
    return error

_FENCE = re.compile(r"^---[ \t]*\r?$", re.M)
_STR = "tag:yaml.org,2002:str"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"


@dataclass(frozen=True, slots=True)
class Document:
    """A content file split into its front matter and Markdown body."""

    source: SourceFile
    text: str
    meta: dict[str, Any]
    body: str
    body_line: int
    body_offset: int

    def line_of(self, key: str) -> int | None:
        """The line where ``key:`` is written in the front matter (1-based): a top-level
        key as it is usually written is found with ``str.find`` (a build asks for the
        author's and the category's line of every post), any other by a pattern."""
        found = self.text.find(f"\n{key}:", 0, self.body_offset)
        if found >= 0:
            return self.text.count("\n", 0, found + 1) + 1
        pattern = re.compile(rf"^[ \t]*{re.escape(key)}[ \t]*:", re.M)
        match = pattern.search(self.text, 0, self.body_offset)  # the front matter only
        return self.text.count("\n", 0, match.start()) + 1 if match else None


def parse_document(source: SourceFile, text: str) -> Document | Diagnostic:
    """Split and parse one file; a problem becomes a Diagnostic naming file and line."""
    if text.startswith("\ufeff"):
        text = text[1:]
    if not text.startswith("---"):
        return Diagnostic(source.rel, 1, "no front matter found",
                          "start the file with a line '---', the YAML keys, then '---'")
    first = _FENCE.match(text)
    if first is None:
        return Diagnostic(source.rel, 1, "the first line must be exactly '---'",
                          "start the file with a line '---'")
    closing = _FENCE.search(text, first.end())
    if closing is None:
        return Diagnostic(source.rel, 1, "front matter is not closed",
                          "add a line '---' after the last YAML key")
    yaml_text = text[first.end():closing.start()]
    meta_line = 1  # yaml_text starts with the newline that ends line 1
    try:
        meta = load_yaml(yaml_text)
    except _yaml_error() as exc:  # evaluated only when something was raised
        return _yaml_diagnostic(source, exc, meta_line, yaml_text)
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        return Diagnostic(source.rel, meta_line + 1,
                          "front matter must be a set of 'key: value' lines",
                          "write one key per line, such as 'title: \"My post\"'")
    body_start = closing.end()
    if text.startswith("\r\n", body_start):
        body_start += 2
    elif text.startswith("\n", body_start):
        body_start += 1
    body_line = text.count("\n", 0, body_start) + 1
    meta = {str(k): v for k, v in meta.items()}
    return Document(source, text, meta, text[body_start:], body_line, body_start)


MAX_NODES = 5000  # what a front matter's aliases may expand to


def loader_class() -> Any:
    """PyYAML's C loader with the resolvers of YAML 1.2's core schema, narrowed so that
    text keeps its form (see the module's docstring); made once."""
    global _LOADER
    if _LOADER is None:
        yaml = _yaml()
        base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml is in the wheels

        class FrontMatterLoader(base):  # type: ignore[misc, valid-type]
            yaml_implicit_resolvers: ClassVar[dict[Any, Any]] = {}

        for tag, pattern, first in (
                ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
                ("tag:yaml.org,2002:int", r"^-?(?:0|[1-9][0-9]*)$", "-0123456789"),
                ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
                ("tag:yaml.org,2002:merge", r"^(?:<<)$", "<")):
            FrontMatterLoader.add_implicit_resolver(tag, re.compile(pattern), list(first))
        _LOADER = FrontMatterLoader
    return _LOADER


_LOADER: Any = None


def load_yaml(text: str) -> Any:
    """The front matter's values: in the plain form most files use, read line by line
    (see plainyaml); otherwise composed by the loader above, checked (duplicate keys,
    aliases), and built here, plain strings, lists and maps directly."""
    plain = read_plain(text)
    if plain is not None:
        return plain
    loader = loader_class()(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_size(node, "&" in text)
        value = _construct(loader, node)
        # An escape in a double-quoted string ("\\u0000") can write what read_text left out.
        return _without_forbidden(value) if "\\" in text else value
    finally:
        loader.dispose()


def _without_forbidden(value: Any) -> Any:
    if isinstance(value, str):
        return FORBIDDEN.sub("", value)
    if isinstance(value, dict):
        return {_without_forbidden(k): _without_forbidden(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_forbidden(item) for item in value]
    return value


def _check_size(root: yaml.Node, aliases: bool) -> None:
    """Refuse a node that contains itself, or that aliases expand past MAX_NODES."""
    if not aliases:
        return
    yaml = _yaml()
    count = 0
    stack: list[tuple[Any, frozenset[int]]] = [(root, frozenset())]
    while stack:
        node, above = stack.pop()
        count += 1
        if count > MAX_NODES:
            raise yaml.constructor.ConstructorError(
                None, None, f"aliases expand to more than {MAX_NODES} values",
                node.start_mark)
        if id(node) in above:
            raise yaml.constructor.ConstructorError(
                None, None, "an alias makes a value contain itself", node.start_mark)
        if isinstance(node, yaml.MappingNode):
            inner = frozenset((*above, id(node)))
            stack.extend((child, inner) for pair in node.value for child in pair)
        elif isinstance(node, yaml.SequenceNode):
            inner = frozenset((*above, id(node)))
            stack.extend((child, inner) for child in node.value)


def _construct(loader: Any, node: yaml.Node) -> Any:
    yaml = _yaml()
    tag = node.tag
    if tag == _STR and isinstance(node, yaml.ScalarNode):
        return node.value
    if tag == _MAP and isinstance(node, yaml.MappingNode):
        result = {}
        own = len(node.value)
        if any(key.tag == "tag:yaml.org,2002:merge" for key, _value in node.value):
            own -= sum(key.tag == "tag:yaml.org,2002:merge" for key, _value in node.value)
            loader.flatten_mapping(node)  # merged keys first: the map's own ones win
        first_own, written = len(node.value) - own, set()
        for index, (key_node, value_node) in enumerate(node.value):
            key = _construct(loader, key_node)
            try:
                if index >= first_own and key in written:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"the key '{key}' is written twice", key_node.start_mark)
                if index >= first_own:
                    written.add(key)
                result[key] = _construct(loader, value_node)
            except TypeError:
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping", node.start_mark, "found unhashable key",
                    key_node.start_mark) from None
        return result
    if tag == _SEQ and isinstance(node, yaml.SequenceNode):
        return [_construct(loader, item) for item in node.value]
    return loader.construct_object(node, deep=True)


def _yaml_diagnostic(source: SourceFile, exc: Exception, meta_line: int,
                     text: str = "") -> Diagnostic:
    # Where the construct started (an unclosed quote, say) helps more than where the
    # parser gave up (often the end of the front matter); but the start of the whole
    # front matter (a block mapping's) helps nobody: then it is where the parser stopped.
    context = getattr(exc, "context", None)
    mark = getattr(exc, "context_mark", None) or getattr(exc, "problem_mark", None)
    if context and "block mapping" in str(context) and getattr(exc, "problem_mark", None):
        mark = exc.problem_mark  # type: ignore[attr-defined]
    line = meta_line + mark.line if mark is not None else meta_line
    col = mark.column + 1 if mark is not None else None
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    message = f"invalid YAML: {problem}" + (f" ({context})" if context else "")
    lines = text.split("\n")
    near = lines[max(0, line - meta_line - 1):line - meta_line + 1] if mark is not None else []
    hint = "put text that contains ':' or starts with a quote in double quotes"
    if "tab" in str(problem).lower() or any("\t" in near_line for near_line in near):
        hint = "indent with spaces, not tabs"
    elif "written twice" in str(problem):
        hint = "keep one of the two lines"
    elif "alias" in str(problem):
        hint = "write the values out instead of using &anchors and *aliases"
    elif "flow sequence" in str(context) or any(c in near_line for near_line in near[-1:]
                                                for c in "[]"):
        hint = ("a list is written on one line as [a, b], with one '[' and one ']'; put an "
                "item that holds ',', ':', '[' or ']' in double quotes")
    return Diagnostic(source.rel, line, message, hint, col=col)
