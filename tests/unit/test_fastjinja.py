"""The cheaper printing and calling in templates produce what stock Jinja2 produces."""

from __future__ import annotations

import datetime as dt
from typing import Any

import jinja2
import pytest
from markupsafe import Markup

from masthead.render.fastjinja import configure, output_escape

TEMPLATE = """\
{% macro box(value, caller=None) %}<b>{{ value }}</b>
{%- if caller %}{{ caller() }}{% endif %}{% endmacro %}
{{ text }} {{ safe }} {{ number }} {{ none }} {{ when }} {{ html_object }}
{{ who("direct") }} {{ shout("<x>") }} {{ counter("a") }} {{ plain("&") }} {{ text.upper() }}
{{ helper.plain("<p>") }} {{ helper.aware("<q>") }} {{ helper.plain("again") }}
{% for item in items %}{{ who(item) }}|{{ loop.index }}|{{ box(item) }}|{{ plain(item) }}
{% endfor %}
{% call box("<c>") %}inside {{ who("call") }}{% endcall %}
{% set joined %}{{ text }}{{ safe }}{% endset %}[{{ joined }}]
{{ "<lit>" }} {{ text | e }} {{ text | safe }} {{ items | join(", ") }}
{% block tail %}{{ who("block") }} {{ plain("<blk>") }}{% endblock %}
{% autoescape false %}{{ text }} {{ box(text) }} {{ who(text) }}{% endautoescape %}
"""


class HTMLObject:
    def __html__(self) -> str:
        return "<em>html</em>"


class Shout:
    """A callable class that wants no context."""

    def __call__(self, value: str) -> str:
        return value.upper()


class Counter:
    """A callable class whose __call__ wants the context."""

    @jinja2.pass_context
    def __call__(self, context: Any, value: str) -> str:
        return f"{value}@{context['number']}"


class Helper:
    """Methods, one of which wants the context."""

    def plain(self, value: str) -> str:
        return f"plain {value}"

    @jinja2.pass_context
    def aware(self, context: Any, value: str) -> str:
        return f"{value}#{context['number']}"


@jinja2.pass_context
def who(context: Any, value: Any) -> str:
    return f"{value} for {context['text']}"


def values() -> dict[str, Any]:
    return {"text": "<Tom & \"Jerry\">", "safe": Markup("<i>safe</i>"), "number": 42,
            "none": None, "when": dt.date(2024, 5, 1), "html_object": HTMLObject(),
            "who": who, "shout": Shout(), "counter": Counter(), "plain": lambda v: f"[{v}]",
            "items": ["<a>", "b&"], "helper": Helper()}


def render(fast: bool) -> str:
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    if fast:
        configure(env)
    return env.from_string(TEMPLATE).render(values())


def test_pages_are_the_same_as_stock_jinja() -> None:
    fast = render(fast=True)
    assert fast == render(fast=False)
    assert "&lt;Tom &amp; &#34;Jerry&#34;&gt;" in fast  # escaped, not dropped
    assert "a@42" in fast  # a pass_context __call__ still gets the context
    assert "&lt;q&gt;#42" in fast and "plain &lt;p&gt;" in fast  # ... and a method
    assert "block for &lt;Tom" in fast  # ... and a pass_context function in a block


@pytest.mark.parametrize("value", ["<&>\"'", Markup("<i>"), 3, 2.5, None, HTMLObject(),
                                   dt.date(2024, 1, 2), ["<x>"]])
def test_output_escape_is_markupsafe_escape(value: Any) -> None:
    from markupsafe import escape

    assert output_escape(value) == str(escape(value))


def test_undefined_still_fails() -> None:
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    configure(env)
    with pytest.raises(jinja2.UndefinedError):
        env.from_string("{{ missing() }}").render()


@pytest.mark.parametrize("value", ["https://example.org/posts/a-b_c.d~e/?q=1&r=2#x",
                                   "Заголовок: «кавычки» — и 100% <b>&</b>", "",
                                   "a b+c%20", Markup("<i>x y</i>"), 42, {"k": "v w"},
                                   [("a", "b c")], "\x00\x7f\U0001f600"])
def test_urlencode_is_jinjas(value: Any) -> None:
    from jinja2.filters import do_urlencode

    from masthead.render.fastjinja import urlencode

    assert urlencode(value) == do_urlencode(value)


def test_globals_keep_their_precedence() -> None:
    """Render values over template globals over the environment's, in includes too; and a
    render's top-level ``set`` does not reach the next render."""

    def pages(fast: bool) -> list[str]:
        env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined,
                                 loader=jinja2.DictLoader({
                                     "inc.html": "({{ a }} {{ b }} {{ c }})"}))
        if fast:
            configure(env)
        env.globals.update(a="env-a", b="env-b", c="env-c")
        template = env.from_string(
            "{{ a }} {{ b }} {{ c }} {% include 'inc.html' %}"
            "{% if first is defined %}{% set a = 'set-a' %}{% endif %}{{ a }}",
            globals={"b": "template-b"})
        return [template.render(c="value-c", first=True), template.render()]

    fast = pages(fast=True)
    assert fast == pages(fast=False)
    assert fast[0].startswith("env-a template-b value-c (env-a template-b value-c)")
    assert fast[1] == "env-a template-b env-c (env-a template-b env-c)env-a"


SCOPED = """\
{% for item in items %}{% set seen = item ~ "!" %}{{ look("seen") }} {% endfor %}
{% block body %}{% set inner = "in block" %}{{ look("inner") }}{% endblock %}
"""


@jinja2.pass_context
def look(context: Any, name: str) -> str:
    return str(context.get(name, "-"))


def test_a_callee_sees_what_its_block_or_loop_sets_as_in_stock_jinja() -> None:
    pages = []
    for fast in (True, False):
        env = jinja2.Environment(autoescape=True)
        if fast:
            configure(env)
        pages.append(env.from_string(SCOPED).render(items=["a", "b"], look=look))
    assert pages[0] == pages[1]
    assert "a! b!" in pages[0] and "in block" in pages[0]


def test_a_second_render_calls_the_same_way_as_stock_jinja() -> None:
    """Callees known to want no context are called directly from the second call on: the
    pages stay the same, and those that want it still get it."""
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    configure(env)
    template = env.from_string(TEMPLATE)
    stock = render(fast=False)
    assert [template.render(values()) for _ in range(3)] == [stock] * 3


class Echo:
    """A callable whose instances may each carry a mark of their own."""

    def __call__(self, *args: Any) -> str:
        return "|".join("context" if isinstance(arg, jinja2.runtime.Context) else str(arg)
                        for arg in args)


def twice_each_way(source: str, context: dict[str, Any]) -> tuple[list[str], list[str]]:
    """``source`` rendered twice with the cheaper code, then twice with stock Jinja2."""
    pages = []
    for fast in (True, False):
        env = jinja2.Environment(autoescape=True)
        if fast:
            configure(env)
        template = env.from_string(source)
        pages.append([template.render(context) for _ in range(2)])
    return pages[0], pages[1]


def test_an_instance_marked_on_its_own_still_gets_the_context() -> None:
    fast, stock = twice_each_way("{{ plain('a') }} {{ marked('b') }}",
                                 {"plain": Echo(), "marked": jinja2.pass_context(Echo())})
    assert fast == stock == ["a context|b"] * 2


MACRO_CALLS = """\
{% macro pair(a, b="dflt") %}[{{ a }}|{{ b }}]{% endmacro %}
{% macro rest() %}{{ varargs | join(",") }};{{ kwargs | dictsort | join(",") }}{% endmacro %}
{{ pair(1) }} {{ pair(1, 2) }} {{ pair(1, b=3) }} {{ pair(a=4) }} {{ pair(b=5, a=6) }} {{ pair() }}
{{ rest(1, 2, k=3) }} {{ rest() }} {{ rest(k=4) }}
{% for x in items %}{{ pair(x, b=loop.index) }}{% endfor %}
"""


@pytest.mark.parametrize("call", ["pair(1, c=2)", "pair(1, 2, 3)", "pair(1, a=2)"])
def test_macros_take_their_arguments_as_in_stock_jinja(call: str) -> None:
    results = []
    for fast in (True, False):
        env = jinja2.Environment(autoescape=True)
        if fast:
            configure(env)
        page = env.from_string(MACRO_CALLS).render(items=["<x>", "y"])
        with pytest.raises(TypeError) as error:
            env.from_string(MACRO_CALLS + "{{ " + call + " }}").render(items=[])
        results.append((page, str(error.value)))
    assert results[0] == results[1]
    assert "[1|dflt] [1|2] [1|3] [4|dflt] [6|5] [|dflt]" in results[0][0]


@pytest.mark.parametrize("source", [
    "{% for x in items if shout(x) != 'B&' %}{{ plain(x) }}{% else %}none{% endfor %}",
    "{% set top = shout(plain('s')) %}{{ top }} {{ shout(plain(shout('n'))) }}",
    "{% with v = plain(shout('w')) %}{{ v }}{% endwith %}{% filter upper %}{{ plain('f') }}"
    "{% endfilter %}",
    "{% macro d(a=shout('def')) %}{{ a }}{% endmacro %}{{ d() }} {{ d(plain(1)) }}",
    "{{ plain(x) if items else shout('no') }} {{ [plain(1), shout('l')] | join }}"
    " {{ {'k': plain(2)}['k'] }} {{ (helper.plain)(shout('p')) }} {{ range(2) | list }}",
    "{{ plain(*items) if false }}{{ shout(*['*']) }} {{ who(**{'value': 'kw'}) }}",
])
def test_calls_anywhere_in_a_template_are_made_as_in_stock_jinja(source: str) -> None:
    fast, stock = twice_each_way(source, values())
    assert fast == stock
