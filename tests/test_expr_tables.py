"""The shipped parser tables are those of the grammar, and parse exactly as a parser built from it."""
from lark import Lark

from policyengine import ast as A
from policyengine import parse


def test_shipped_tables_match_the_grammar():
    from policyengine import _grammar_tables as pre

    assert pre.FINGERPRINT == parse._fingerprint(parse._grammar()), \
        "grammar.lark changed: regenerate the tables with `python -m policyengine.parse`"


def _with_spans(node):
    return [(n, n.span) for n in A.walk(parse._node(node))]


def test_tables_parse_as_the_grammar_does():
    built = Lark(parse._grammar(), transformer=parse._ToAst(), **parse._OPTIONS)
    shipped = parse._parser()
    for text in ['a >= 3 and b', 'count(h for h in xs where h.y == 2)', 'if a then "x" else [1, 2.5]',
                 '学历 in ["本科", "硕士"]', 'f(1, 2) - -3 * 4 / 5', 'not (a or b) and c != null',
                 'years_after(d, 3) > as_of', 'max(h.grade for h in evaluation_history)']:
        assert _with_spans(shipped.parse(text)) == _with_spans(built.parse(text)), text
