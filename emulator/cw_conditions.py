"""ConnectWise ``conditions`` query language: a tokenizer, a recursive-descent parser and evaluation.

Grammar (keywords case-insensitive)::

    expr       := and_expr ("or" and_expr)*
    and_expr   := unary ("and" unary)*
    unary      := "not" unary | "(" expr ")" | comparison
    comparison := FIELD op value
                | FIELD ["not"] ("like" | "contains") value
                | FIELD ["not"] "in" "(" value ("," value)* ")"
    op         := "=" | "!=" | "<>" | "<" | "<=" | ">" | ">="
    value      := "..." | '...' | NUMBER | true | false | null | [datetime]

A quoted string ends at the next quote of the same kind: there is no escape sequence (none is
documented by the vendor), and backslashes are literal. Strings compare case-insensitively, as on the
SQL Server collation behind ConnectWise.
"""

import datetime
import re


class ConditionError(ValueError):
    """A malformed ``conditions`` expression or an unknown field."""


_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<string>"[^"]*"|'[^']*')
  | (?P<datetime>\[[^\]]*\])
  | (?P<number>-?\d+(?:\.\d+)?(?![A-Za-z_]))
  | (?P<op><=|>=|!=|<>|=|<|>)
  | (?P<lparen>\()
  | (?P<rparen>\))
  | (?P<comma>,)
  | (?P<word>[A-Za-z_][A-Za-z0-9_]*(?:/[A-Za-z_][A-Za-z0-9_]*)*)
""", re.VERBOSE)

_KEYWORDS = {"and", "or", "not", "like", "contains", "in", "true", "false", "null"}


def _tokenize(text):
    tokens = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match:
            snippet = text[position:position + 20]
            if snippet[:1] in "\"'":
                raise ConditionError("unterminated string starting at position %d" % position)
            raise ConditionError("unexpected text at position %d: %r" % (position, snippet))
        kind = match.lastgroup
        value = match.group(kind)
        position = match.end()
        if kind == "ws":
            continue
        if kind == "word" and value.lower() in _KEYWORDS:
            kind, value = value.lower(), value.lower()
        tokens.append((kind, value))
    return tokens


def parse_datetime(text):
    """Parse an ISO-8601 timestamp (``Z`` or offset); naive values are taken as UTC."""
    text = text.strip()
    if text.endswith("Z") or text.endswith("z"):
        text = text[:-1] + "+00:00"
    try:
        value = datetime.datetime.fromisoformat(text)
    except ValueError:
        raise ConditionError("invalid datetime %r" % text)
    if value.tzinfo is None:
        value = value.replace(tzinfo=datetime.timezone.utc)
    return value


class _Literal:
    __slots__ = ("kind", "value")

    def __init__(self, kind, value):
        self.kind = kind
        self.value = value


class _Parser:
    def __init__(self, text):
        self.tokens = _tokenize(text)
        self.index = 0

    def peek(self):
        return self.tokens[self.index][0] if self.index < len(self.tokens) else None

    def take(self, kind=None):
        if self.index >= len(self.tokens):
            raise ConditionError("unexpected end of expression" + (" (expected %s)" % kind if kind else ""))
        token = self.tokens[self.index]
        if kind and token[0] != kind:
            raise ConditionError("expected %s but found %r" % (kind, token[1]))
        self.index += 1
        return token

    def parse(self):
        if not self.tokens:
            raise ConditionError("empty expression")
        node = self.expr()
        if self.index != len(self.tokens):
            raise ConditionError("unexpected %r" % self.tokens[self.index][1])
        return node

    def expr(self):
        node = self.and_expr()
        while self.peek() == "or":
            self.take()
            node = ("or", node, self.and_expr())
        return node

    def and_expr(self):
        node = self.unary()
        while self.peek() == "and":
            self.take()
            node = ("and", node, self.unary())
        return node

    def unary(self):
        kind = self.peek()
        if kind == "not":
            self.take()
            return ("not", self.unary())
        if kind == "lparen":
            self.take()
            node = self.expr()
            self.take("rparen")
            return node
        return self.comparison()

    def comparison(self):
        _unused, field = self.take("word")
        negate = False
        if self.peek() == "not":
            self.take()
            negate = True
        kind = self.peek()
        if kind in ("like", "contains"):
            self.take()
            node = (kind, field, self.value())
        elif kind == "in":
            self.take()
            self.take("lparen")
            values = [self.value()]
            while self.peek() == "comma":
                self.take()
                values.append(self.value())
            self.take("rparen")
            # A list of strings is also kept as a set of folded values: a batched lookup of hundreds of
            # identifiers over thousands of records is then one set test per record, not hundreds.
            strings = frozenset(v.value.casefold() for v in values) if all(
                v.kind == "string" for v in values) else None
            node = ("in", field, values, strings)
        elif kind == "op" and not negate:
            _unused, operator = self.take()
            node = ("cmp", field, "!=" if operator == "<>" else operator, self.value())
        else:
            found = self.tokens[self.index][1] if self.index < len(self.tokens) else "end of expression"
            raise ConditionError("expected an operator after %r, found %r" % (field, found))
        return ("not", node) if negate else node

    def value(self):
        kind, text = self.take()
        if kind == "string":
            return _Literal("string", text[1:-1])
        if kind == "number":
            return _Literal("number", float(text) if "." in text else int(text))
        if kind in ("true", "false"):
            return _Literal("bool", kind == "true")
        if kind == "null":
            return _Literal("null", None)
        if kind == "datetime":
            return _Literal("datetime", parse_datetime(text[1:-1]))
        raise ConditionError("expected a value but found %r" % text)


def parse(text):
    """Parse ``text`` into an expression tree; raises ConditionError."""
    return _Parser(text).parse()


_MISSING = object()


def _lookup(record, field):
    value = record
    for part in field.split("/"):
        if not isinstance(value, dict):
            return None
        match = _MISSING
        for key in value:
            if key.lower() == part.lower():
                match = value[key]
                break
        if match is _MISSING:
            return _MISSING
        value = match
    return value


def _coerce(actual, literal):
    """Return a pair of comparable values, or None when they cannot be compared."""
    if literal.kind == "datetime":
        if isinstance(actual, str):
            try:
                return parse_datetime(actual), literal.value
            except ConditionError:
                return None
        return None
    if literal.kind == "string":
        if isinstance(actual, bool):
            return None
        return str(actual).casefold(), literal.value.casefold()
    if literal.kind == "number":
        if isinstance(actual, bool) or not isinstance(actual, (int, float)):
            if isinstance(actual, str):
                try:
                    return float(actual), literal.value
                except ValueError:
                    return None
            return None
        return actual, literal.value
    if literal.kind == "bool":
        return (actual, literal.value) if isinstance(actual, bool) else None
    return None


def _compare(actual, operator, literal):
    if literal.kind == "null":
        if operator == "=":
            return actual is None
        if operator == "!=":
            return actual is not None
        return False
    if actual is None:
        return operator == "!="
    pair = _coerce(actual, literal)
    if pair is None:
        return operator == "!="
    left, right = pair
    if operator == "=":
        return left == right
    if operator == "!=":
        return left != right
    try:
        return {"<": left < right, "<=": left <= right, ">": left > right, ">=": left >= right}[operator]
    except TypeError:
        return False


def _like(actual, pattern):
    if actual is None or isinstance(actual, (dict, list)):
        return False
    regex = "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, str(actual), re.IGNORECASE | re.DOTALL) is not None


def evaluate(node, record):
    """True when ``record`` (a rendered JSON object) satisfies the expression tree ``node``."""
    kind = node[0]
    if kind == "or":
        return evaluate(node[1], record) or evaluate(node[2], record)
    if kind == "and":
        return evaluate(node[1], record) and evaluate(node[2], record)
    if kind == "not":
        return not evaluate(node[1], record)
    actual = _lookup(record, node[1])
    if actual is _MISSING:
        actual = None
    if kind == "cmp":
        return _compare(actual, node[2], node[3])
    if kind == "like":
        return _like(actual, str(node[2].value))
    if kind == "contains":
        return actual is not None and str(node[2].value).casefold() in str(actual).casefold()
    if kind == "in":
        if node[3] is not None:
            # The same as comparing with each string: null and booleans never equal a string.
            return actual is not None and not isinstance(actual, bool) and str(actual).casefold() in node[3]
        return any(_compare(actual, "=", literal) for literal in node[2])
    raise ConditionError("unknown node %r" % kind)


def fields_of(node):
    """Every field path the expression names (to reject unknown fields)."""
    kind = node[0]
    if kind in ("or", "and"):
        return fields_of(node[1]) | fields_of(node[2])
    if kind == "not":
        return fields_of(node[1])
    return {node[1]}


def check_fields(node, sample_keys):
    """Raise ConditionError when the first segment of a field is not a property of the model."""
    known = {key.lower() for key in sample_keys}
    for field in fields_of(node):
        if field.split("/")[0].lower() not in known:
            raise ConditionError("unknown field %r" % field)
