"""Rendering path templates in a sandbox: Jinja2's ``SandboxedEnvironment``, narrowed further.

A template is written by a user and rendered by a worker, so it gets nothing it does not need
(docs/path-templates.md lists what it gets):

- one variable, ``document`` (a ``DocumentContext``: plain values, no database object), and a
  ``range`` of at most ``MAX_RANGE`` numbers; Jinja's other globals (``cycler``, ``joiner``,
  ``namespace``, ``lipsum``, ``dict``) are gone;
- attributes only of the document context, of ``document.cf`` (``get``, ``keys``, ``values``,
  ``items``), of dates (``year``, ``month``, ``day``) and of ``loop`` (``index``, ``first``,
  ``last``, ``length``...): no ``__class__``, no string methods such as ``format`` or ``ljust``;
- a short list of filters (``FILTERS``), each refusing a result longer than ``MAX_OUTPUT``;
- statements ``if``, ``for``, ``set`` and ``with`` only: no macros, blocks, includes or imports
  (so no file access and no recursion), no ``{% set %}...{% endset %}`` or filter blocks (they
  would build strings out of sight of the output limit);
- ``*``, ``**``, ``%``, ``//`` and ``~`` checked before they compute: no ``'x' * 10**9``;
- at most ``MAX_OUTPUT`` characters of output and ``MAX_SECONDS`` of running time (a trace
  function on the rendering thread stops loops that print nothing).

``check_template`` runs all of this when a template is saved, with the type's field names:
syntax errors and unknown fields are reported with their line (and column when it can be found).
"""

from __future__ import annotations

import functools
import re
import sys
import time
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from types import FrameType
from typing import Any

from jinja2 import Template, TemplateError, TemplateSyntaxError, Undefined, nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.exceptions import SecurityError, UndefinedError
from jinja2.runtime import LoopContext
from jinja2.sandbox import SandboxedEnvironment

MAX_OUTPUT = 4096
MAX_SECONDS = 1.0
MAX_RANGE = 1000
MAX_EXPONENT = 64
MAX_DATE_FORMAT = 100


class TemplateProblem(ValueError):
    """A template that cannot be used (saved or rendered): the message says why, ``line`` and
    ``column`` (1-based, when known) where."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None) -> None:
        where = f"line {line}" + (f", column {column}" if column else "") if line else ""
        super().__init__(f"{message} ({where})" if where else message)
        self.reason = message
        self.line = line
        self.column = column


class MissingValue(Exception):
    """The template printed a value the document does not have: the fallback applies."""


class RenderLimit(TemplateProblem):
    """The template ran too long or printed too much."""


@dataclass(frozen=True)
class DocumentContext:
    """``document`` in a template: what it may see of a document, and nothing else."""

    id: str
    title: str
    type: str
    cf: Mapping[str, object]
    tags: tuple[str, ...]
    owner: str
    created: datetime
    updated: datetime
    # Every field of the type has a value: the guard against half-built paths.
    has_all_cf: bool


DOCUMENT_ATTRIBUTES = frozenset(DocumentContext.__dataclass_fields__)
_MAPPING_METHODS = frozenset({"get", "keys", "values", "items"})
_DATE_ATTRIBUTES = frozenset({"year", "month", "day"})
_LOOP_ATTRIBUTES = frozenset(
    {"index", "index0", "revindex", "revindex0", "first", "last", "length"}
)
_ALLOWED_STATEMENTS = (
    nodes.Template,
    nodes.Output,
    nodes.If,
    nodes.For,
    nodes.Assign,
    nodes.With,
)


class _MissingUndefined(Undefined):
    """A value the document lacks: false in ``{% if %}``, replaced by ``default``, and a
    ``MissingValue`` once printed (None too: ``cf.get``'s answer for a missing value). An
    attribute the sandbox refused stays a ``SecurityError``."""

    __slots__ = ()

    def __str__(self) -> str:
        if self._undefined_exception is not UndefinedError:
            self._fail_with_undefined_error()
        raise MissingValue(self._undefined_message)


class _TooSlow(BaseException):
    """Raised by the trace function when time is up: a BaseException, so that no ``except
    Exception`` in Jinja's runtime swallows it (the trace function is gone once it raised)."""


def _too_long() -> RenderLimit:
    return RenderLimit(f"the template made a text longer than {MAX_OUTPUT} characters")


def _bounded(text: str) -> str:
    if len(text) > MAX_OUTPUT:
        raise _too_long()
    return text


def _slugify(value: object) -> str:
    """ASCII letters, digits and dashes: ``Café Müller & Co`` -> ``cafe-muller-co``."""
    text = unicodedata.normalize("NFKD", str(value)).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _date(value: object, format: str = "%Y-%m-%d") -> str:
    if isinstance(value, Undefined):
        str(value)  # a missing date: MissingValue
    if not isinstance(value, date):
        raise TemplateProblem("the date filter takes a date")
    if len(format) > MAX_DATE_FORMAT:
        raise TemplateProblem(f"a date format is at most {MAX_DATE_FORMAT} characters")
    return value.strftime(format)


def _replace(value: object, old: str, new: str, count: int | None = None) -> str:
    text = str(value)
    times = text.count(str(old)) if count is None else min(count, text.count(str(old)))
    if len(text) + times * max(len(str(new)) - len(str(old)), 0) > MAX_OUTPUT:
        raise _too_long()
    return text.replace(str(old), str(new), -1 if count is None else count)


def _join(value: Iterable[object], separator: str = "") -> str:
    return _bounded(str(separator).join(str(item) for item in value))


def _bounded_filter(function: Callable[..., object]) -> Callable[..., object]:
    def bounded(*args: Any, **kwargs: Any) -> object:
        result = function(*args, **kwargs)
        if isinstance(result, str):
            _bounded(result)
        return result

    return bounded


def _str_filter(method: Callable[[str], str]) -> Callable[[object], str]:
    return lambda value: method(str(value))


FILTERS: dict[str, Callable[..., object]] = {
    "default": lambda value, fallback="": (
        fallback if value is None or isinstance(value, Undefined) else value
    ),
    "lower": _str_filter(str.lower),
    "upper": _str_filter(str.upper),
    "title": _str_filter(str.title),
    "capitalize": _str_filter(str.capitalize),
    "trim": _str_filter(str.strip),
    "truncate": lambda value, length=255: str(value)[: max(int(length), 0)],
    "replace": _replace,
    "join": _join,
    "first": lambda value: next(iter(value), ""),
    "last": lambda value: list(value)[-1] if list(value) else "",
    "length": len,
    "int": lambda value, fallback=0: int(value) if str(value).lstrip("-").isdigit() else fallback,
    "string": str,
    "slugify": _slugify,
    "date": _date,
}
FILTERS["d"] = FILTERS["default"]


def _bounded_range(*args: int) -> range:
    numbers = range(*args)
    if len(numbers) > MAX_RANGE:
        raise RenderLimit(f"range() gives at most {MAX_RANGE} numbers")
    return numbers


class _BoundedCodeGenerator(CodeGenerator):
    """``a ~ b`` goes through the environment's ``concat``, which checks the length."""

    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        self.write("environment.concat((")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write("))")


class PathTemplateEnvironment(SandboxedEnvironment):
    intercepted_binops = frozenset({"*", "**", "%", "//"})
    code_generator_class = _BoundedCodeGenerator

    def __init__(self) -> None:
        super().__init__(
            undefined=_MissingUndefined,
            finalize=_finalize,
            autoescape=False,
            cache_size=200,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.globals = {"range": _bounded_range}
        self.filters = {name: _bounded_filter(f) for name, f in FILTERS.items()}
        self.tests = {name: self.tests[name] for name in ("defined", "undefined", "none")}

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        if isinstance(obj, DocumentContext):
            return attr in DOCUMENT_ATTRIBUTES
        if isinstance(obj, Mapping):
            return attr in _MAPPING_METHODS
        if isinstance(obj, date):
            return attr in _DATE_ATTRIBUTES
        if isinstance(obj, LoopContext):
            return attr in _LOOP_ATTRIBUTES
        return False

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "%":
            raise SecurityError("% is not available in path templates; use filters")
        if operator == "**" and (not isinstance(right, int) or abs(right) > MAX_EXPONENT):
            raise RenderLimit(f"** takes a whole exponent of at most {MAX_EXPONENT}")
        if operator == "*":
            for text, times in ((left, right), (right, left)):
                sequence = isinstance(text, str | tuple | list) and isinstance(times, int)
                if sequence and len(text) * times > MAX_OUTPUT:
                    raise _too_long()
        return super().call_binop(context, operator, left, right)

    def concat(self, parts: Iterable[object]) -> str:
        return _bounded("".join(_finalize(part) for part in parts))


def _finalize(value: object) -> str:
    if value is None:  # ``document.cf.get('Name')`` of a value the document lacks
        raise MissingValue("a value printed is missing")
    return _bounded(str(value))


ENVIRONMENT = PathTemplateEnvironment()


@functools.lru_cache(maxsize=256)
def compile_template(source: str) -> Template:
    """Parse and check the template's statements; ``TemplateProblem`` says what and where."""
    try:
        tree = ENVIRONMENT.parse(source)
    except TemplateSyntaxError as exc:
        raise TemplateProblem(f"syntax error: {exc.message}", exc.lineno) from None
    _check_statements(tree, source)
    try:
        return ENVIRONMENT.from_string(tree)
    except TemplateSyntaxError as exc:  # an unknown filter or test
        raise TemplateProblem(exc.message or "syntax error", exc.lineno) from None


def _check_statements(tree: nodes.Template, source: str) -> None:
    for node in tree.find_all(nodes.Stmt):
        if not isinstance(node, _ALLOWED_STATEMENTS):
            keyword = type(node).__name__.lower()
            raise TemplateProblem(
                f"{keyword!r} is not allowed in a path template (if, for, set and with are)",
                node.lineno,
            )


def check_template(source: str, field_names: Iterable[str]) -> None:
    """Refuse a template that cannot render: bad syntax, a statement, filter or variable it may
    not use, a custom field the type does not have, an attribute ``document`` does not have."""
    compile_template(source)
    tree = ENVIRONMENT.parse(source)
    fields = set(field_names)
    for node in tree.find_all(nodes.Name):
        known_name = node.name in ("document", "range", "loop") or _assigned(tree, node.name)
        if node.ctx == "load" and not known_name:
            raise _at(source, node, f"unknown variable {node.name!r} (use document.…)")
    for getattr_node in tree.find_all(nodes.Getattr):
        if getattr_node.attr.startswith("_"):
            raise _at(source, getattr_node, f"no attribute may start with _: {getattr_node.attr!r}")
        if _is_document(getattr_node.node) and getattr_node.attr not in DOCUMENT_ATTRIBUTES:
            known = ", ".join(sorted(DOCUMENT_ATTRIBUTES))
            raise _at(source, getattr_node, f"document has no {getattr_node.attr!r} ({known})")
    for name, reference in _field_references(tree):
        if name not in fields:
            known = ", ".join(repr(f) for f in sorted(fields)) or "none"
            raise _at(source, reference, f"unknown custom field {name!r} (the type has {known})")


def _assigned(tree: nodes.Template, name: str) -> bool:
    return any(
        target.name == name
        for assign in tree.find_all((nodes.Assign, nodes.For, nodes.With))
        for target in assign.find_all(nodes.Name)
        if target.ctx in ("store", "param")
    )


def _is_document(node: nodes.Node) -> bool:
    return isinstance(node, nodes.Name) and node.name == "document"


def _is_cf(node: nodes.Node) -> bool:
    return isinstance(node, nodes.Getattr) and node.attr == "cf" and _is_document(node.node)


def _field_references(tree: nodes.Template) -> Iterator[tuple[str, nodes.Node]]:
    """``document.cf['Name']``, ``document.cf.Name`` and ``document.cf.get('Name')``."""
    for item in tree.find_all(nodes.Getitem):
        if _is_cf(item.node) and isinstance(item.arg, nodes.Const):
            yield str(item.arg.value), item
    for attr in tree.find_all(nodes.Getattr):
        if _is_cf(attr.node) and attr.attr not in _MAPPING_METHODS:
            yield attr.attr, attr
    for call in tree.find_all(nodes.Call):
        method = call.node
        if (
            isinstance(method, nodes.Getattr)
            and method.attr == "get"
            and _is_cf(method.node)
            and call.args
            and isinstance(call.args[0], nodes.Const)
        ):
            yield str(call.args[0].value), call


def _at(source: str, node: nodes.Node, message: str) -> TemplateProblem:
    """The problem at the node's line; the column of the name it is about, if found there."""
    line = source.splitlines()[node.lineno - 1] if node.lineno else ""
    quoted = re.search(r"'([^']*)'", message)
    column = line.find(quoted[1]) + 1 if quoted and quoted[1] in line else None
    return TemplateProblem(message, node.lineno, column)


def render(template: Template, document: DocumentContext) -> str:
    """The template's text for the document, within the time and length limits. Raises
    ``MissingValue`` (the fallback applies) or ``TemplateProblem`` (the document stays)."""
    deadline = time.monotonic() + MAX_SECONDS
    previous = sys.gettrace()

    def stop_when_late(frame: FrameType, event: str, arg: object) -> Any:
        if time.monotonic() > deadline:
            raise _TooSlow()
        return stop_when_late

    parts: list[str] = []
    length = 0
    sys.settrace(stop_when_late)
    try:
        for part in template.generate(document=document):
            length += len(part)
            if length > MAX_OUTPUT:
                raise _too_long()
            parts.append(part)
    except _TooSlow:
        raise RenderLimit(f"the template took longer than {MAX_SECONDS:g} s") from None
    except (MissingValue, TemplateProblem):
        raise
    except UndefinedError as exc:
        raise MissingValue(str(exc)) from None
    except SecurityError as exc:
        raise TemplateProblem(f"not allowed: {exc}") from None
    except TemplateError as exc:
        raise TemplateProblem(str(exc)) from None
    except (ArithmeticError, ValueError, TypeError) as exc:
        raise TemplateProblem(f"{type(exc).__name__}: {exc}") from None
    finally:
        sys.settrace(previous)
    return "".join(parts)
