"""The shipped parser tables are those of the grammar, and parse exactly as a parser built from it."""
from lark import Lark

from policyengine import ast as A
from policyengine import parse


def test_shipped_tables_match_the_grammar():
    # (checked against the Lark release that built them: under another release, such as the
    # oldest one pyproject.toml allows, the engine builds the parser from the grammar instead)
    from policyengine import _grammar_tables as pre

    assert pre.FINGERPRINT == parse._fingerprint(parse._grammar(), pre.LARK_VERSION), \
        "grammar.lark changed: regenerate the tables with `python -m policyengine.parse`"


def test_tables_of_another_lark_release_are_not_used(monkeypatch):
    import lark

    from policyengine import _grammar_tables as pre

    parse._parser.cache_clear()
    try:
        monkeypatch.setattr(lark, "__version__", pre.LARK_VERSION + ".other")

        def refuse(*a, **k):
            raise AssertionError("tables built by another Lark release were loaded")

        monkeypatch.setattr(Lark, "_load", refuse)
        built = parse._parser()
        assert _with_spans(built.parse("a >= 3 and b")) == _with_spans(
            Lark(parse._grammar(), transformer=parse._ToAst(), **parse._OPTIONS).parse("a >= 3 and b"))
    finally:
        parse._parser.cache_clear()


def _with_spans(node):
    return [(n, n.span) for n in A.walk(parse._node(node))]


def test_tables_parse_as_the_grammar_does():
    built = Lark(parse._grammar(), transformer=parse._ToAst(), **parse._OPTIONS)
    shipped = parse._parser()
    for text in ['a >= 3 and b', 'count(h for h in xs where h.y == 2)', 'if a then "x" else [1, 2.5]',
                 '学历 in ["本科", "硕士"]', 'f(1, 2) - -3 * 4 / 5', 'not (a or b) and c != null',
                 'years_after(d, 3) > as_of', 'max(h.grade for h in evaluation_history)']:
        assert _with_spans(shipped.parse(text)) == _with_spans(built.parse(text)), text
