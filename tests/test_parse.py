"""Syntax errors in expressions: the place and the words a policy officer reads."""
from __future__ import annotations

import re

import pytest

from policyengine import parse
from policyengine.parse import KEYWORDS, ExprError, parse_expression


@pytest.mark.parametrize("text, offset, message, hint", [
    ("x * not (y)", 4, "'not' cannot stand here", "x * (not y)"),
    ("x * not y", 4, "'not' cannot stand here", "x * (not y)"),
    ("x * not", 4, "'not' cannot stand here", "x * (not y)"),
    ("a + and(b)", 4, "'and' cannot stand here", "reserved word"),
    ("x.in", 2, "'in' cannot stand here", "reserved word"),
    ("sum(x for if in xs)", 10, "'if' cannot stand here", "reserved word"),
    ("service_days ≥ 30", 13, "unexpected character '≥'", "write '>='"),
    ("a = 1", 2, "unexpected character '='", "write '=='"),
    ("a b", 2, "unexpected 'b'", "expected"),
    ("x and", 5, "the expression ends too early after 'and'", "write what follows 'and'"),
    ("x >= 3 or", 9, "the expression ends too early after 'or'", "write what follows 'or'"),
    ("(x", 2, "the expression ends too early", "expected ')'"),
    ("非(x or y)", 0, "'非' is not an operator: write 'not'", "not (a or b)"),
    ("非 (x or y)", 0, "'非' is not an operator: write 'not'", "not (a or b)"),
    ("a =‹ b", 2, "'‹' (U+2039 single left-pointing angle quotation mark) is not a sign of the expression language",
     "'<=' at most"),
])
def test_a_syntax_error_says_where_and_why(text, offset, message, hint):
    with pytest.raises(ExprError) as e:
        parse_expression(text)
    assert (e.value.code, e.value.offset, e.value.message.en) == ("PE020", offset, message)
    assert hint in e.value.hint.en
    # the same in Chinese, for the officer: each language its own words
    assert any("\u4e00" <= c <= "\u9fff" for c in e.value.message.zh + e.value.hint.zh), e.value.message
    assert message not in e.value.message.zh


def test_a_syntax_error_in_chinese():
    with pytest.raises(ExprError) as e:
        parse_expression("service_days ≥ 30")
    assert e.value.message.zh == "“≥”不能用在表达式里" and e.value.hint.zh == "写 '>=' 表示“不少于/以上”"
    with pytest.raises(ExprError) as e:
        parse_expression("a b")
    assert e.value.message.zh == "这里不应出现 'b'" and e.value.hint.zh.startswith("这里应当是：")


@pytest.mark.parametrize("text", ["not x", "x not in [1]", "if a then b else c", "true and false or null",
                                  "count(h for h in xs where h.y in [1])", "iffy + notable + android + wherever"])
def test_keywords_where_they_belong_and_names_that_start_like_them_parse(text):
    parse_expression(text)


def test_every_keyword_of_the_grammar_is_reserved():
    assert set(re.findall(r'"([a-z]+)"', parse._grammar())) == KEYWORDS
