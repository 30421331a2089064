"""Cheaper code for the two things every template does most: print a value, call a helper.

A story page prints about fifty values and calls about thirty helpers; in stock Jinja2
each printed value becomes a ``Markup`` object only to be joined into a string, and
each call first asks the callee, twice, whether it wants the template context. Both
are general answers to questions that have simple ones in the common case:

- a printed value is escaped to a plain ``str`` (it is joined into the page or into a
  macro's ``Markup`` right after, so its type is never seen);
- a call to a callee that wants no context (every masthead helper and method) is made
  from the compiled code directly once the callee is known (``context.call`` learns it
  on the first call), and in a template that sets no variable inside a block or loop it
  is not handed the (always empty) variables set there; a macro called with its
  arguments by position or by name skips Jinja's general matching of them;
- a template's globals (a ``ChainMap`` of its own and the environment's) are merged
  into the new context dict by dict, where ``dict(ChainMap)`` fetches each key through
  Python code: 10 us of every page, card and partial render;
- a block, a parent template or an included one is joined into one string where it is
  made, instead of each of its strings being yielded up through every generator above.

A macro's result becomes Markup without Markup's constructor (it is a joined str).
The ``urlencode`` filter is replaced by one with the same output, faster.

What templates produce is unchanged; the theme's tests compare pages byte for byte.
"""

from __future__ import annotations

import re
import types
from collections import ChainMap
from collections.abc import Mapping
from functools import partial
from io import StringIO
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame, optimizeconst
from jinja2.nodes import EvalContext
from jinja2.runtime import Context, Macro, new_context
from jinja2.utils import _PassArg, missing
from markupsafe import Markup

try:  # the C implementation markupsafe's own escape() calls
    from markupsafe._speedups import _escape_inner
except ImportError:  # pragma: no cover - markupsafe without its C extension
    from markupsafe._native import _escape_inner


def output_escape(value: Any) -> str:
    """``str(markupsafe.escape(value))``, without building the Markup in between."""
    if type(value) is str:
        return _escape_inner(value)
    if type(value) is Markup:
        return value
    html = getattr(value, "__html__", None)
    if html is not None:
        return str(html())
    return _escape_inner(str(value))


class OutputCodeGenerator(CodeGenerator):
    """Jinja2's code generator, printing escaped values with :func:`output_escape`."""

    def visit_Template(self, node: nodes.Template, frame: Frame | None = None) -> None:
        self._scoped_sets = any(True for scope in node.find_all((nodes.Block, nodes.For))
                                for _ in scope.find_all((nodes.Assign, nodes.AssignBlock)))
        super().visit_Template(node, frame)
        # Module level, after everything: the render functions look it up when they run.
        # Macros are made when a template runs, by the name Macro: this one is ours.
        self.writeline(f"from {__name__} import JoinedMacro as Macro, "
                       "output_escape as _output_escape, PLAIN_TYPES as _plain_types, "
                       "PLAIN_FUNCTIONS as _plain_functions, context_call as _context_call")
        self.writeline("from types import MethodType as _method, FunctionType as _function")

    def writeline(self, x: str, node: nodes.Node | None = None, extra: int = 0) -> None:
        # A child template's page and each of its blocks are generators, and Jinja
        # delegates to them with ``yield from``: every string a block yields is passed up
        # through every generator above it. Joined where they are made, they go up once.
        if x.startswith(_DELEGATIONS):
            x = f"yield ''.join({x[len('yield from '):]})"
        super().writeline(x, node, extra)

    def visit_Include(self, node: nodes.Include, frame: Frame) -> None:
        """``{% include %}`` as one joined string, where Jinja loops over the included
        template's strings and yields each (see ``writeline``)."""
        if self.environment.is_async or node.ignore_missing:
            super().visit_Include(node, frame)
            return
        function = "get_or_select_template"
        if isinstance(node.template, nodes.Const):
            if isinstance(node.template.value, str):
                function = "get_template"
            elif isinstance(node.template.value, (tuple, list)):
                function = "select_template"
        elif isinstance(node.template, (nodes.Tuple, nodes.List)):
            function = "select_template"
        self.writeline(f"template = environment.{function}(", node)
        self.visit(node.template, frame)
        self.write(f", {self.name!r})")
        if node.with_context:
            strings = ("template.root_render_func(template.new_context(context.get_all(), "
                       f"True, {self.dump_local_context(frame)}))")
        else:
            strings = "template._get_default_module()._body_stream"
        self.simple_write(f"''.join({strings})", frame)

    @optimizeconst
    def visit_Call(self, node: nodes.Call, frame: Frame, forward_caller: bool = False) -> None:
        """A call to a callee already known to want no context is made directly; any other
        goes through ``context.call`` (which learns the callees it may skip it for next
        time). The choice is made where the callee is evaluated, before the arguments."""
        scoped = bool(frame.loop_frame or frame.block_frame) and self._scoped_sets
        if (self.environment.is_async or self.environment.sandboxed or forward_caller
                or scoped):
            super().visit_Call(node, frame, forward_caller=forward_caller)
            return
        self.write("(_cf if (_ck := type(_cf := ")
        self.visit(node.node, frame)
        self.write(")) in _plain_types or (_ck is _method and _cf.__func__ in _plain_functions)"
                   " or (_ck is _function and _cf in _plain_functions)"
                   " else _context_call(context, _cf))(")
        stream, self.stream = self.stream, StringIO()
        try:
            self.signature(node, frame)  # writes ", " before each argument
        finally:
            arguments, self.stream = self.stream.getvalue(), stream
        self.write(arguments.removeprefix(", "))
        self.write(")")

    def signature(self, node: nodes.Call | nodes.Filter | nodes.Test, frame: Frame,
                  extra_kwargs: Mapping[str, Any] | None = None) -> None:
        # Jinja passes every call in a block or loop the variables set there, for a callee
        # that wants the context; in a template that sets none there, they are always
        # empty, and leaving them out spares each call a dict and two lookups.
        if extra_kwargs and not self._scoped_sets:
            extra_kwargs = {key: value for key, value in extra_kwargs.items()
                            if key not in _SCOPED_VARS} or None
        super().signature(node, frame, extra_kwargs)

    def _output_child_pre(self, node: nodes.Expr, frame: Frame, finalize: Any) -> None:
        if frame.eval_ctx.volatile or not frame.eval_ctx.autoescape:
            super()._output_child_pre(node, frame, finalize)
            return
        self.write("_output_escape(")
        if finalize.src is not None:
            self.write(finalize.src)


_SCOPED_VARS = ("_loop_vars", "_block_vars")
# Callees that compiled templates call directly (see ``visit_Call``): types whose
# instances never want the context (builtins; classes whose call is unmarked and whose
# instances cannot carry a mark of their own), and unmarked functions. Learned by
# DirectCallContext.call the first time each is called.
PLAIN_TYPES: set[type] = set()
PLAIN_FUNCTIONS: set[Any] = set()
_PLAIN_KEPT = 10_000
_DELEGATIONS = ("yield from context.blocks[", "yield from parent_template.root_render_func(")
_DIRECT, _EVAL_CONTEXT, _JINJA, _FUNCTION, _BUILTIN = 0, 1, 2, 3, 4
_WAY_TO_CALL: dict[type, int] = {}  # how instances of a callable type are called
# Whether a function carries a pass_* mark: asked per call, a missing attribute costs an
# exception inside ``hasattr`` (about fifty calls a page). Kept per function object.
_MARKED: dict[Any, bool] = {}
_MARKED_KEPT = 10_000


class DirectCallContext(Context):
    """A Context whose ``call`` skips Jinja's checks of the callee when its type answers
    them: plain functions and methods without a ``pass_*`` mark, instances of classes
    whose ``__call__`` has none, and macros (which take the evaluation context). Callees
    that want the context or the environment take Jinja's own path."""

    def call(__self, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        kind = type(__obj)
        if kind is JoinedMacro:
            if kwargs:
                kwargs.pop("_block_vars", None)
                kwargs.pop("_loop_vars", None)
            return __obj.call_in(__self.eval_ctx, args, kwargs)
        way = _WAY_TO_CALL.get(kind)
        if way is None:
            way = _WAY_TO_CALL[kind] = _way_to_call(kind)
        if way == _FUNCTION:  # its mark, looked up once per function
            function = __obj.__func__ if kind is types.MethodType else __obj
            try:
                marked = _MARKED.get(function)
                if marked is None:
                    if len(_MARKED) > _MARKED_KEPT:
                        _MARKED.clear()
                    marked = _MARKED[function] = hasattr(function, "jinja_pass_arg")
            except TypeError:  # a method around an unhashable callable: ask each time
                marked = hasattr(function, "jinja_pass_arg")
            if marked:
                return super().call(__obj, *args, **kwargs)
            _learn(PLAIN_FUNCTIONS, function)
        elif way == _JINJA or (way != _BUILTIN and hasattr(__obj, "jinja_pass_arg")):
            return super().call(__obj, *args, **kwargs)
        elif way == _BUILTIN or (way == _DIRECT and not hasattr(__obj, "__dict__")):
            _learn(PLAIN_TYPES, kind)  # no instance of it can carry a mark
        if kwargs:
            kwargs.pop("_block_vars", None)
            kwargs.pop("_loop_vars", None)
        if way == _EVAL_CONTEXT:
            args = (__self.eval_ctx, *args)
        try:
            return __obj(*args, **kwargs)
        except StopIteration:
            return __self.environment.undefined(
                "value was undefined because a callable raised a StopIteration exception")


def _learn(plain: set[Any], callee: Any) -> None:
    if len(plain) >= _PLAIN_KEPT:
        plain.clear()
    plain.add(callee)


def context_call(context: Context, callee: Any) -> Any:
    """``callee`` bound to go through ``context.call``: a call not known to be plain."""
    return partial(context.call, callee)


class JoinedMacro(Macro):
    """A macro whose result becomes Markup by str's own constructor: it is always its
    strings joined (a str, with no ``__html__`` to ask for, as Markup's constructor does
    in Python on every call: seventeen times a story page). A call with its arguments by
    position, or named after them, goes straight to the macro's function, without the
    general matching of arguments (a microsecond of every call)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._plain = not (self.caller or self.explicit_caller or self.catch_kwargs
                           or self.catch_varargs)

    def call_in(self, eval_ctx: EvalContext, args: tuple[Any, ...],
                kwargs: dict[str, Any]) -> str:
        """The macro called from a template whose evaluation context is ``eval_ctx``."""
        count = self._argument_count
        given = len(args)
        if self._plain and given <= count:
            if not kwargs:
                return self._invoke([*args, *(missing,) * (count - given)], eval_ctx.autoescape)
            rest = dict(kwargs)
            arguments = [*args, *(rest.pop(name, missing) for name in self.arguments[given:])]
            if not rest:
                return self._invoke(arguments, eval_ctx.autoescape)
        return self(eval_ctx, *args, **kwargs)  # Jinja's matching, and its errors

    def _invoke(self, arguments: list[Any], autoescape: bool) -> str:
        if self._environment.is_async:
            return super()._invoke(arguments, autoescape)
        result = self._func(*arguments)
        return str.__new__(Markup, result) if autoescape else result


class FlatGlobalsTemplate(jinja2.Template):
    """A Template whose new contexts start from its globals merged map by map."""

    def new_context(self, vars: dict[str, Any] | None = None, shared: bool = False,
                    locals: Mapping[str, Any] | None = None) -> Context:
        globals = self.globals
        if type(globals) is not ChainMap:
            return super().new_context(vars, shared, locals)
        flat: dict[str, Any] = {}
        for mapping in reversed(globals.maps):  # the first map wins, as in the ChainMap
            flat.update(mapping)
        # Shared (an include): ``vars`` is used as it is, and the globals only give the
        # context its set of global names, made from a dict faster than from a ChainMap.
        return new_context(self.environment, self.name, self.blocks, vars, shared, flat,
                           locals)


def _way_to_call(kind: type) -> int:
    """Functions and methods are called directly unless their own mark says otherwise
    (looked up once per function), builtins always; instances by the mark on their
    class's ``__call__``; classes as Jinja does."""
    if kind in (types.FunctionType, types.MethodType):
        return _FUNCTION
    if kind in (types.BuiltinFunctionType, types.BuiltinMethodType, types.MethodWrapperType):
        return _BUILTIN  # attributes cannot be set on these: never marked
    if issubclass(kind, type):  # a class: Jinja looks at the class's own attributes
        return _JINJA
    call = getattr(kind, "__call__", None)  # noqa: B004 (its mark is wanted, not callability)
    mark = getattr(call, "jinja_pass_arg", None)
    if mark is None:
        return _DIRECT
    return _EVAL_CONTEXT if mark is _PassArg.eval_context else _JINJA


_UNSAFE_BYTE = re.compile(rb"[^A-Za-z0-9_.~/-]")
_PERCENT = [b"%%%02X" % byte for byte in range(256)]


def urlencode(value: Any) -> str:
    """Jinja's ``urlencode`` filter, the same output: a string's bytes percent-encoded
    but for letters, digits, ``_.-~`` and ``/``. One substitution over the bytes instead
    of a Python call per byte (every story page encodes its URL and title to share)."""
    if isinstance(value, str):
        return _UNSAFE_BYTE.sub(lambda match: _PERCENT[match[0][0]],
                                value.encode("utf-8")).decode("ascii")
    return str(jinja2.filters.do_urlencode(value))


def configure(env: jinja2.Environment) -> None:
    """Make ``env`` compile templates with the cheaper output and calls."""
    env.code_generator_class = OutputCodeGenerator
    env.context_class = DirectCallContext
    env.template_class = FlatGlobalsTemplate
    env.filters["urlencode"] = urlencode
