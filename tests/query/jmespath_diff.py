#!/usr/bin/python3
"""Differential test of acmbridge's JMESPath engine against python-jmespath.

Generates documents and expressions from a seed (the same seed, the same
cases), evaluates each with python-jmespath (what the AWS CLI runs) and with
the engine (the jmespath-lines driver: one process, one case per line), and
compares the results byte for byte as to_string() writes them (so 1 and 1.0,
and key order, count) or the error kinds.

Where the two differ, each known python-jmespath departure from the
specification is tried in turn as a patch to python-jmespath; a case that
agrees under exactly such a patch is counted under that departure's name
(docs/aws.md lists them). A case python-jmespath crashes on (TypeError, an
unserialisable result) cannot be compared and is counted apart. Any other
difference fails the test.

Usage: jmespath_diff.py --driver PATH [--seed N] [--count N] [--show N]
"""
import argparse
import contextlib
import json
import random
import subprocess
import sys

import jmespath
from jmespath import exceptions, functions, parser, visitor

KEYS = ["a", "b", "c", "foo", "bar", "baz", "n", "s", "t", "x", "with space", "é", "1"]
STRINGS = ["", "a", "b", "abc", "foo", "bar", "foobar", "é", "日本", "A", "z", "10", "1.5"]
FUNCS = {
    # name: argument kinds the generator uses
    "abs": ["num"], "avg": ["arr"], "ceil": ["num"], "floor": ["num"],
    "contains": ["arr|str", "any"], "ends_with": ["str", "str"],
    "starts_with": ["str", "str"], "join": ["str", "arr"], "keys": ["obj"],
    "values": ["obj"], "length": ["any"], "map": ["ref", "arr"], "max": ["arr"],
    "min": ["arr"], "max_by": ["arr", "ref"], "min_by": ["arr", "ref"],
    "sort_by": ["arr", "ref"], "merge": ["obj", "obj"], "not_null": ["any", "any"],
    "reverse": ["any"], "sort": ["arr"], "sum": ["arr"], "to_array": ["any"],
    "to_string": ["any"], "to_number": ["any"], "type": ["any"],
}


def gen_scalar(r):
    k = r.random()
    if k < 0.3:
        return r.choice([0, 1, -1, 2, 3, 10, 42, -7, 100])
    if k < 0.4:
        return r.choice([0.5, 2.0, -1.5, 1.0, 0.0, 3.25, 1e-05, 100.5])
    if k < 0.75:
        return r.choice(STRINGS)
    if k < 0.9:
        return r.choice([True, False])
    return None


def gen_doc(r, depth=0):
    k = r.random()
    if depth >= 4 or k < 0.3:
        return gen_scalar(r)
    if k < 0.65:
        return [gen_doc(r, depth + 1) for _ in range(r.randint(0, 5))]
    return {r.choice(KEYS): gen_doc(r, depth + 1) for _ in range(r.randint(0, 5))}


def ident(r):
    k = r.choice(KEYS)
    if k.isidentifier() and k.isascii() and r.random() < 0.8:
        return k
    return json.dumps(k, ensure_ascii=r.random() < 0.5)


def literal(r):
    k = r.random()
    if k < 0.6:
        return "`%s`" % json.dumps(gen_doc(r, 3), ensure_ascii=False).replace("`", "\\`")
    if k < 0.9:
        return "'%s'" % r.choice(STRINGS)
    return "`%s`" % r.choice(["foo", " bar", "a b"])  # deprecated raw literal


def num_token(r):
    return str(r.choice([0, 1, 2, 3, -1, -2, 5, 10, -10]))


def gen_slice(r):
    parts = [r.choice(["", num_token(r)]) for _ in range(2)]
    text = ":".join(parts)
    if r.random() < 0.6:
        text += ":" + r.choice(["", "1", "2", "-1", "-2", "3", "0" if r.random() < 0.1 else "1"])
    return "[%s]" % text


def gen_func(r, depth):
    name = r.choice(sorted(FUNCS))
    args = []
    for kind in FUNCS[name]:
        if kind == "ref":
            args.append("&" + gen_expr(r, depth + 1))
        elif r.random() < 0.3:
            args.append("@")
        else:
            args.append(gen_expr(r, depth + 1))
    if r.random() < 0.03:  # arity errors now and then
        args = args[:-1] if args and r.random() < 0.5 else args + ["@"]
    if r.random() < 0.01:
        name = "nope_" + name
    return "%s(%s)" % (name, ", ".join(args))


def gen_expr(r, depth=0):
    if depth > 3:
        return r.choice([ident(r), "@", literal(r)])
    k = r.randint(0, 23)
    e = lambda: gen_expr(r, depth + 1)
    if k <= 3:
        return ident(r)
    if k == 4:
        return "@"
    if k == 5:
        return literal(r)
    if k == 6:
        return "%s.%s" % (e(), r.choice([ident(r), "*", "[%s, %s]" % (e(), e()),
                                         "{%s: %s}" % (ident(r), e()), gen_func(r, depth + 1)]))
    if k == 7:
        return "%s[%s]" % (e(), num_token(r))
    if k == 8:
        return e() + gen_slice(r)
    if k == 9:
        return "%s%s%s" % (e(), r.choice(["[*]", ".*", "[]"]),
                           r.choice(["", "." + ident(r), "[0]", "." + gen_func(r, depth + 1)]))
    if k == 10:
        return "%s[?%s]%s" % (e(), e(), r.choice(["", "." + ident(r), "[]"]))
    if k == 11:
        return "%s | %s" % (e(), e())
    if k == 12:
        return "%s || %s" % (e(), e())
    if k == 13:
        return "%s && %s" % (e(), e())
    if k == 14:
        return "!" + e()
    if k == 15:
        return "%s %s %s" % (e(), r.choice(["==", "!=", "<", "<=", ">", ">="]),
                             r.choice([e(), literal(r)]))
    if k == 16:
        return "[%s]" % ", ".join(e() for _ in range(r.randint(1, 3)))
    if k == 17:
        return "{%s}" % ", ".join("%s: %s" % (ident(r), e()) for _ in range(r.randint(1, 3)))
    if k == 18:
        return "(%s)" % e()
    if k in (19, 20, 21):
        return gen_func(r, depth)
    if k == 22:
        return "[?%s]" % e()
    return "%s.%s" % (ident(r), ident(r))


def mutate(r, expr):
    """A near miss: one character dropped, doubled or replaced."""
    if not expr:
        return expr
    i = r.randrange(len(expr))
    k = r.random()
    if k < 0.4:
        return expr[:i] + expr[i + 1:]
    if k < 0.7:
        return expr[:i] + expr[i] + expr[i:]
    return expr[:i] + r.choice("[]{}().,:|&!@*`'\"?<=>- ab0") + expr[i + 1:]


# ---- python-jmespath, as shipped and with one departure put right ----

def outcome(expr, doc):
    """('r', text) | ('error', kind) | ('crash', what)"""
    parser.Parser.purge()
    try:
        res = jmespath.search(expr, doc)
    except exceptions.ArityError:
        return ("error", "invalid-arity")
    except (exceptions.ParseError, exceptions.EmptyExpressionError):
        return ("error", "syntax")
    except exceptions.UnknownFunctionError:
        return ("error", "unknown-function")
    except exceptions.JMESPathTypeError:
        return ("error", "invalid-type")
    except ValueError as ex:
        if "slice step cannot be zero" in str(ex):
            return ("error", "invalid-value")
        return ("crash", type(ex).__name__)
    except Exception as ex:  # TypeError on mixed comparisons, and so on
        return ("crash", type(ex).__name__)
    try:
        return ("r", json.dumps(res, separators=(",", ":")))
    except (TypeError, ValueError) as ex:
        return ("crash", "result not JSON: " + type(ex).__name__)


def _is_num(x):
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _strict_equal(x, y):
    if _is_num(x) and _is_num(y):
        return x == y
    if type(x) != type(y):
        return False
    if isinstance(x, list):
        return len(x) == len(y) and all(_strict_equal(a, b) for a, b in zip(x, y))
    if isinstance(x, dict):
        return x.keys() == y.keys() and all(_strict_equal(x[k], y[k]) for k in x)
    return x == y


@contextlib.contextmanager
def patched(obj, name, value):
    old = getattr(obj, name)
    setattr(obj, name, value)
    try:
        yield
    finally:
        setattr(obj, name, old)


@contextlib.contextmanager
def strict_equality():
    """Python's == makes [1] == [true] and 0 in [false]; the specification
    does not."""
    cmp = dict(visitor.TreeInterpreter.COMPARATOR_FUNC)
    cmp["eq"] = _strict_equal
    cmp["ne"] = lambda x, y: not _strict_equal(x, y)

    def contains(self, subject, search):
        if isinstance(subject, str):
            return isinstance(search, str) and search in subject
        return any(_strict_equal(el, search) for el in subject)

    table = dict(functions.Functions.FUNCTION_TABLE)
    table["contains"] = dict(table["contains"], function=contains)
    with patched(visitor.TreeInterpreter, "COMPARATOR_FUNC", cmp), \
            patched(functions.Functions, "FUNCTION_TABLE", table):
        yield


@contextlib.contextmanager
def strict_commas():
    """python-jmespath takes f(a b), f(a,) and {a: b c: d}; the grammar
    wants commas."""
    def led_lparen(self, left):
        if left["type"] != "field":
            prev_t = self._lookahead_token(-2)
            raise exceptions.ParseError(prev_t["start"], prev_t["value"], prev_t["type"],
                                        "Invalid function name")
        args = []
        if self._current_token() != "rparen":
            while True:
                args.append(self._expression())
                if self._current_token() != "comma":
                    break
                self._match("comma")
        self._match("rparen")
        from jmespath import ast
        return ast.function_expression(left["value"], args)

    def msh(self):
        from jmespath import ast
        pairs = []
        while True:
            key_token = self._lookahead_token(0)
            self._match_multiple_tokens(token_types=["quoted_identifier", "unquoted_identifier"])
            self._match("colon")
            pairs.append(ast.key_val_pair(key_name=key_token["value"], node=self._expression(0)))
            if self._current_token() == "rbrace":
                self._match("rbrace")
                break
            self._match("comma")
        return ast.multi_select_dict(nodes=pairs)

    with patched(parser.Parser, "_token_led_lparen", led_lparen), \
            patched(parser.Parser, "_parse_multi_select_hash", msh):
        yield


@contextlib.contextmanager
def compile_time_checks():
    """python-jmespath finds an unknown function, a wrong argument count or
    a slice step of 0 only when it evaluates that part; acmbridge refuses
    the expression before anything is sent."""
    orig_lparen = parser.Parser._token_led_lparen
    orig_slice = parser.Parser._parse_slice_expression

    def led_lparen(self, left):
        node = orig_lparen(self, left)
        spec = functions.Functions.FUNCTION_TABLE.get(node["value"])
        if spec is None:
            raise exceptions.UnknownFunctionError("Unknown function: %s()" % node["value"])
        sig = spec["signature"]
        n = len(node["children"])
        if (n < len(sig)) if sig and sig[-1].get("variadic") else n != len(sig):
            raise exceptions.ArityError(len(sig), n, node["value"])
        return node

    def slice_expr(self):
        node = orig_slice(self)
        if node["children"][2] == 0:
            raise ValueError("slice step cannot be zero")
        return node

    with patched(parser.Parser, "_token_led_lparen", led_lparen), \
            patched(parser.Parser, "_parse_slice_expression", slice_expr):
        yield


@contextlib.contextmanager
def strict_expref():
    """python-jmespath lets &expr be a value anywhere (and crashes when it
    reaches the output); acmbridge takes it only as a function argument."""
    def visit_expref(self, node, value):
        raise exceptions.JMESPathTypeError("expref", None, "expref", ["function argument"])

    def visit_function_expression(self, node, value):
        args = [visitor._Expression(c["children"][0], self) if c["type"] == "expref"
                else self.visit(c, value) for c in node["children"]]
        return self._functions.call_function(node["value"], args)

    with patched(visitor.TreeInterpreter, "visit_expref", visit_expref), \
            patched(visitor.TreeInterpreter, "visit_function_expression",
                    visit_function_expression):
        yield


@contextlib.contextmanager
def strict_variadic_types():
    """python-jmespath checks the type of a variadic function's first
    argument only: merge({}, []) gives {} (and merge({}, [1]) crashes)."""
    def type_check(self, actual, signature, function_name):
        for i, arg in enumerate(actual):
            allowed = signature[min(i, len(signature) - 1)]["types"]
            if allowed:
                self._type_check_single(arg, allowed, function_name)

    with patched(functions.Functions, "_type_check", type_check):
        yield


@contextlib.contextmanager
def slice_after_index_projects():
    """python-jmespath appends a slice that follows an index (a[0][1:3])
    to the index expression, so it starts no projection: a[0][1:3].b is
    null there; the grammar makes every slice a projection."""
    from jmespath import ast

    def led_lbracket(self, left):
        if self._lookahead_token(0)["type"] in ["number", "colon"]:
            right = self._parse_index_expression()
            if left["type"] == "index_expression" and right["type"] != "slice":
                left["children"].append(right)
                return left
            return self._project_if_slice(left, right)
        self._match("star")
        self._match("rbracket")
        right = self._parse_projection_rhs(self.BINDING_POWER["star"])
        return ast.projection(left, right)

    with patched(parser.Parser, "_token_led_lbracket", led_lbracket):
        yield


DEPARTURES = [
    ("a slice right after an index starts no projection", slice_after_index_projects),
    ("a variadic function's arguments after the first unchecked", strict_variadic_types),
    ("an expression reference (&) used as a value", strict_expref),
    ("nested true == 1 and 0 in [false]", strict_equality),
    ("function arguments and hash pairs without commas", strict_commas),
    ("function and slice errors found only when evaluated", compile_time_checks),
]


def classify(expr, doc, ours):
    for name, patch in DEPARTURES:
        with patch():
            if outcome(expr, doc) == ours:
                return name
    # Two departures in one expression.
    for i, (n1, p1) in enumerate(DEPARTURES):
        for n2, p2 in DEPARTURES[i + 1:]:
            with p1(), p2():
                if outcome(expr, doc) == ours:
                    return n1 + " + " + n2
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--driver", required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--count", type=int, default=4000)
    ap.add_argument("--show", type=int, default=10)
    args = ap.parse_args()
    r = random.Random(args.seed)

    cases = []
    for i in range(args.count):
        doc = gen_doc(r)
        if isinstance(doc, (list, dict)) or r.random() < 0.5:
            pass
        expr = gen_expr(r)
        if r.random() < 0.15:
            expr = mutate(r, expr)
        cases.append((expr, doc))

    lines = "".join(json.dumps({"e": e, "d": d}) + "\n" for e, d in cases)
    proc = subprocess.run([args.driver], input=lines.encode(), capture_output=True, check=False)
    if proc.returncode != 0:
        sys.exit("driver failed (%d): %s" % (proc.returncode, proc.stderr.decode()[:2000]))
    answers = proc.stdout.decode().split("\n")[:-1]
    if len(answers) != len(cases):
        sys.exit("driver answered %d of %d cases" % (len(answers), len(cases)))

    agree = {"result": 0, "error": 0}
    departures = {}
    crashes = 0
    mismatches = []
    for (expr, doc), line in zip(cases, answers):
        a = json.loads(line)
        ours = ("r", a["r"]) if "r" in a else ("error", a["error"])
        theirs = outcome(expr, doc)
        if theirs == ours:
            agree["result" if ours[0] == "r" else "error"] += 1
            continue
        if theirs[0] == "crash":
            crashes += 1
            continue
        name = classify(expr, doc, ours)
        if name is not None:
            departures[name] = departures.get(name, 0) + 1
            continue
        mismatches.append((expr, doc, theirs, ours, a.get("message")))

    total = len(cases)
    print("jmespath differential: seed %d, %d cases: %d agree (%d results, %d errors), "
          "%d python-jmespath crashes, %d known departures, %d mismatches"
          % (args.seed, total, agree["result"] + agree["error"], agree["result"],
             agree["error"], crashes, sum(departures.values()), len(mismatches)))
    for name, n in sorted(departures.items()):
        print("  departure: %s: %d" % (name, n))
    for expr, doc, theirs, ours, msg in mismatches[:args.show]:
        print("MISMATCH %r over %s\n  python-jmespath: %s\n  acmbridge:       %s%s"
              % (expr, json.dumps(doc, ensure_ascii=False)[:300], theirs, ours,
                 " (%s)" % msg if msg else ""))
    # A generator that produces nothing but errors tests little.
    if agree["result"] < total // 2:
        print("too few cases with results (%d of %d)" % (agree["result"], total))
        return 1
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
