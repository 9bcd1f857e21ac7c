"""The slips of a Chinese keyboard get a located message with the fix, in Chinese and English.

Each rule-file fixture is in tests/invalid/ (its code, line and column are checked there);
here the words are: what is wrong and how to fix it, in both languages.  The same slips in
a case file are checked through `policyengine evaluate`."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from policyengine.api import load_rule_files
from policyengine.cli import main

INVALID = Path(__file__).resolve().parent / "invalid"

RULE_FILE_SLIPS = {
    "PE001_fullwidth-colon": ("全角冒号", "full-width colon", "full_time_education: …"),
    "PE001_tab-indent": ("制表符", "a tab in the indentation", "replace the tab with spaces"),
    "PE001_fullwidth-bracket": ("全角花括号", "full-width bracket", "write the ASCII '{'"),
    "PE001_fullwidth-quote": ("全角引号", "is not a YAML quote", "straight double quotes"),
    "PE001_extra-indent": ("多缩进了 1 个空格", "indented 1 space(s) more", "same column"),
    "PE020_word-or": ("“或”不是运算符", "write 'or'", "a >= 3 or b"),
    "PE020_word-and": ("“且”不是运算符", "write 'and'", "a >= 3 and b"),
    "PE020_fullwidth-equals": ("“＝”不能用在表达式里", "unexpected character '＝'", "write '=='"),
    "PE020_arrow-for-at-least": ("'=>' 不是运算符", "'=>' is not an operator", "write '>='"),
    "PE020_le-sign": ("“≤”不能用在表达式里", "unexpected character '≤'", "write '<='"),
    "PE020_fullwidth-operator-plain": ("“≥”不能用在表达式里", "unexpected character '≥'", "write '>='"),
    "PE020_word-not-before-bracket": ("“非”不是运算符", "'非' is not an operator: write 'not'", "not (a or b)"),
    "PE004_bang-for-not": ("“不”不能写成“!”", "'!' is not how to write 'not'", "write 'not (…)' and quote"),
    "PE001_bang-for-not": ("“不”不能写成“!”", "'!' is not how to write 'not'", "write 'not (…)' and quote"),
    "PE020_odd-sign-after-equals": ("“‹”（U+2039）不是表达式里能用的符号", "'‹' (U+2039 single left-pointing angle",
                                    "'<=' at most"),
    "PE001_dash-without-space": ("“-”后面少了一个空格", "a space is missing after '-'", "put a space after '-': - id: …"),
    "PE001_item-key-misaligned": ("“level”没有和同一列表项里的“id”对齐", "'level' does not line up with 'id'",
                                  "put 1 more space(s) before 'level'"),
    "PE012_misspelt-rule-kind": ("规则 imust.commissioner.dispatch-term 的 kind", "rule imust.commissioner.dispatch-term: kind",
                                 "did you mean 'obligation'? allowed: eligibility, obligation, scoring"),
    "PE012_stricter-in-chinese": ("参数 retention_years 的 stricter", "parameter retention_years: stricter",
                                  "did you mean 'lower'? allowed: higher, lower"),
    "PE012_fullwidth-list-of-subjects": ("结论 eligible 的 subjects：应为列表", "should be a valid list", "write the ASCII brackets [commissioner]"),
    "PE012_condition-on-obligation": ("义务（obligation）规则不读 'condition'", "an obligation rule does not read 'condition'",
                                      "rename 'condition:' to 'check:'"),
    "PE012_condition-on-entitlement": ("待遇（entitlement）规则不读 'condition'", "an entitlement rule does not read 'condition'",
                                       "rename 'condition:' to 'when:'"),
    "PE012_check-on-eligibility": ("条件（eligibility）规则不读 'check'", "an eligibility rule does not read 'check'",
                                   "rename 'check:' to 'condition:'"),
    "PE010_empty-when": ("'when' 后面没有写内容", "'when' is empty", "write an expression after 'when:'"),
    "PE010_empty-parameter-value": ("参数 retention_years 的 value 后面没有写内容", "parameter retention_years: value is empty",
                                    "write its value after 'value:'"),
    "PE010_empty-check": ("'check' 后面没有写内容", "'check' is empty", "or remove the line"),
    "PE020_date-as-subtraction": ("“2024-01-01”在表达式里是减法（得 2022），不是日期",
                                  "'2024-01-01' in an expression is a subtraction (giving 2022), not a date",
                                  'write the date as date("2024-01-01"); for the year alone, 2024'),
    "PE012_parameter-with-unit": ("参数 'retention_years' 的值 '5年' 是文字，不是数字",
                                  "the value '5年' of parameter 'retention_years' is text, not a number",
                                  "write the number alone, 5: no quotes, unit or percent sign"),
    "PE002_item-without-dash": ("第 34 行的“id: …”开始新的一项，但前面少了“- ”",
                                "the 'id: …' on line 34 starts a new item, but the '- ' before it is missing",
                                "write '- ' before id on this line"),
    "PE001_quote-never-closed": ("第 27 行的引号 \" 没有闭合", "the quote \" on line 27 is never closed", "close the text with \""),
    "PE001_quote-inside-text": ("这段文字在第 17 列的引号 \" 处就结束了", "the quoted text ends at the \" in column 17",
                                "write a quote inside the text as \\\""),
    "PE001_key-indented-too-little": ("这一行和上一行（第 29 行）的缩进对不上", "this line and the one above (line 29) do not line up",
                                      "if line 29 belongs with the lines above it, put 2 more space(s) before it"),
    "PE001_fullwidth-space-indent": ("这里有全角空格", "a full-width space (U+3000) here", "replace it with ASCII spaces"),
    "PE001_fullwidth-comma-in-braces": ("这里是全角逗号“，”", "this is a full-width '，'", "write an ASCII comma and a space"),
    "PE011_comma-in-braces": ("不认识的字段 'and service days'", "unknown field 'and service days'",
                              "a comma inside { } starts a new entry: put text that contains a comma in quotes"),
    "PE011_fullwidth-colon-in-braces": ("“label”后面是全角冒号“：”", "a full-width colon '：' after 'label'",
                                        "write an ASCII colon and a space: label: …"),
    "PE001_merge-conflict-marker": ("这一行“<<<<<<<”是合并冲突的标记", "'<<<<<<<' marks a merge conflict",
                                    "keep the version you mean, and delete the other and the three marker lines"),
    "PE001_bracket-never-closed": ("列表的方括号没有闭合", "a '[' list is not closed", "close it with ']' at the end of this line"),
    "PE001_expression-starts-with-quote": ("“condition:”后面的表达式以引号开头", "the expression after 'condition:' starts with a quote",
                                           "write the expression on the next line: 'condition: >-'"),
    "PE001_item-misaligned-after-block-text": ("列表项没有对齐", "the list items are not aligned",
                                               "every '- ' of one list starts in the same column"),
    "PE020_ends-after-and": ("表达式在“and”之后就结束了", "the expression ends too early after 'and'",
                             "write what follows 'and'"),
}


@pytest.fixture(autouse=True)
def _english(monkeypatch):
    """These tests pin the English wording; tests/test_messages.py pins the Chinese."""
    monkeypatch.setenv("POLICYENGINE_LANG", "en")


@pytest.mark.parametrize("name", sorted(RULE_FILE_SLIPS))
def test_a_rule_file_slip_is_named_with_its_fix_in_both_languages(name):
    zh, en, fix = RULE_FILE_SLIPS[name]
    ps = load_rule_files([INVALID / f"{name}.yaml"])
    assert len(ps.errors) == 1, [d.message for d in ps.errors]
    d = ps.errors[0]
    assert en in d.message and zh not in d.message, d.message  # each language shows only its own
    assert zh in d.zh and en not in d.zh, d.zh
    assert d.hint and fix in d.hint, d.hint
    assert any("\u4e00" <= c <= "\u9fff" for c in d.hint_zh), "the fix is said in Chinese too"
    assert not any("\u4e00" <= c <= "\u9fff" for c in d.hint), "the English fix is English only"


CASE_HEAD = "subject: enterprise\njurisdiction: cn/nm/baotou\nas_of: 2024-05-10\nfacts:\n"
CASE_SLIPS = [
    ("colon", "  registered_in_region：true\n  is_tech_enterprise: true\n", "5:23", "全角冒号"),
    ("colon_last", "  is_tech_enterprise: true\n  registered_in_region：true\n", "6:23", "全角冒号"),
    ("tab", "\tis_tech_enterprise: true\n", "5:1", "制表符"),
    ("indent", "  registered_in_region: true\n   is_tech_enterprise: true\n", "6:3", "多缩进了 1 个空格"),
    ("brace", "  x: ｛a: 1｝\n", "5:6", "全角花括号"),
]


@pytest.mark.parametrize("name,body,where,words", CASE_SLIPS, ids=[c[0] for c in CASE_SLIPS])
def test_a_case_file_slip_is_located_at_the_slip(tmp_path, capsys, name, body, where, words):
    case = tmp_path / f"{name}.yaml"
    case.write_text(CASE_HEAD + body, encoding="utf-8")
    assert main(["evaluate", str(case), "--lang", "zh"]) == 2
    err = capsys.readouterr().err
    assert f"{name}.yaml:{where}: 错误[PE001" in err and words in err, err
    assert "修改建议:" in err and "help:" not in err


def test_a_parser_message_without_a_known_slip_is_put_into_plain_words(tmp_path, capsys):
    case = tmp_path / "unclosed.yaml"
    case.write_text(CASE_HEAD + "  x: [1, 2\n", encoding="utf-8")
    assert main(["evaluate", str(case)]) == 2
    err = capsys.readouterr().err
    assert "error[PE001" in err and "'[' list is not closed" in err and "help:" in err
    assert "did not find expected" not in err, "the parser's jargon is put into plain words"
    assert main(["evaluate", str(case), "--lang", "zh"]) == 2
    err = capsys.readouterr().err
    assert "错误[PE001" in err and "列表的方括号没有闭合" in err and "修改建议" in err, err


def test_a_first_list_item_without_the_space_after_its_dash_is_located_on_its_own_line():
    from policyengine import PolicyError
    from policyengine.load import load_text
    with pytest.raises(PolicyError) as e:
        load_text("jurisdictions:\n  -id: cn\n    name: 全国\n", "rule.yaml")
    (d,) = e.value.diagnostics
    assert (d.code, d.span.line, d.span.column) == ("PE001", 2, 3)
    assert "put a space after '-'" in d.hint and "“-”后面加一个空格" in d.hint_zh


def test_a_coverage_list_in_full_width_brackets_is_named_once_with_the_fix():
    ps = load_rule_files([INVALID / "PE012_coverage-fullwidth-brackets.yaml"])
    # the rules the lists name are not also reported as left out of the table (PE102), nor their
    # articles as "not decisional" (PE103)
    assert [d.code for d in ps.diagnostics] == ["PE012", "PE012"], [d.message for d in ps.diagnostics]
    first, second = ps.diagnostics
    assert "full-width brackets '［'" in first.message and "全角方括号“［”" in first.zh
    assert first.hint == "use the ASCII brackets '[ ]': 第七条(一): [nm.commissioner.conduct]"
    assert first.hint_zh == "改为半角方括号“[ ]”：第七条(一): [nm.commissioner.conduct]"
    assert "全角方括号“【”" in second.zh and second.hint.endswith("第八条: [nm.commissioner.service-days]")


def test_a_not_decisional_entry_in_chinese_words_is_shown_written_properly():
    (d,) = load_rule_files([INVALID / "PE012_coverage-not-decisional-in-chinese.yaml"]).diagnostics
    assert d.code == "PE012" and "“不作决定”" in d.zh and "'not decisional: why'" in d.message
    assert '第七条(五): "not decisional: 见规则"' in d.hint_zh  # the officer's own reason, kept
    assert '第七条(五): "not decisional: why"' in d.hint


def test_a_key_written_twice_says_which_to_keep():
    (d,) = load_rule_files([INVALID / "PE002_fact-declared-twice.yaml"]).diagnostics
    assert d.hint_zh == "对象 commissioner 的“service_days: …”只能写一次：对照第 19 行和第 21 行，留下要用的那一行，删去另一行"
    assert d.hint == "subject commissioner: 'service_days: …' may be written once: keep the line you mean and delete the other"


def test_a_key_written_twice_says_what_is_wrong_before_where():
    (d,) = load_rule_files([INVALID / "PE002_fact-declared-twice.yaml"]).diagnostics
    assert d.message == "'service_days: …' is written twice (at facts.commissioner.service_days)"
    assert d.zh == "“service_days: …”写了两次（位置：facts.commissioner.service_days）"
    (d,) = load_rule_files([INVALID / "PE004_bang-for-not.yaml"]).diagnostics
    assert d.message == "'!' is not how to write 'not': YAML reads a value that starts with '!' as a tag (at rules.0.check)"
    assert d.zh == "“不”不能写成“!”：值以“!”开头时，YAML 会把它当成标签（位置：rules.0.check）"


@pytest.mark.parametrize("path", sorted(p.name for p in INVALID.glob("PE00*.yaml")))
def test_a_yaml_message_begins_with_words_not_a_dotted_path(path):
    """The place is in file:line:column already; the message starts with what is wrong."""
    for d in load_rule_files([INVALID / path]).diagnostics:
        for text in (d.message, d.zh):
            assert not re.match(r"[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)+\s*[:：]", text), text


def test_an_enum_value_written_as_its_chinese_label_is_told_the_value(tmp_path, capsys):
    """博士 for doctorate, 副高 for associate_senior (the packs label their values): the value is named,
    and the values are listed with their labels, in a case file and in an expression."""
    case = tmp_path / "c.yaml"
    case.write_text("subject: commissioner\njurisdiction: cn/nm/baotou/imust\nas_of: 2024-03-01\nfacts:\n"
                    "  education: 博士\n  title: 副高\n", encoding="utf-8")
    assert main(["evaluate", str(case), "--lang", "zh"]) == 2
    err = capsys.readouterr().err
    assert "是不是想写“doctorate”？允许的取值：none（无）" in err and "doctorate（博士研究生）" in err, err
    assert "是不是想写“associate_senior”？" in err
    from policyengine.parse import parse_expression
    from policyengine.types import EnumType

    et = EnumType("education", ("junior_college", "bachelor"), True, (("大专", "junior college"), ("本科", "bachelor")))
    assert et.value_labelled("大专") == "junior_college" and et.value_labelled("专") is None  # (one character: no guess)
    assert et.listing("zh") == "junior_college（大专）、bachelor（本科）" and et.listing("en") == "junior_college (junior college), bachelor"
    assert parse_expression('education >= "大专"')  # (the expression parses; the checker names the value, below)
    packs = Path(__file__).resolve().parent.parent / "policies"
    text = (packs / "imust" / "measures_2023_45.yaml").read_text(encoding="utf-8")
    edited = tmp_path / "measures_2023_45.yaml"
    edited.write_text(text.replace('education >= "junior_college"', 'education >= "大专"', 1), encoding="utf-8")
    assert main(["check", str(edited), "--policies", str(packs), "--lang", "en"]) == 1
    out = capsys.readouterr().out
    assert "did you mean \"junior_college\"? education is one of: none (无), secondary" in out, out


@pytest.mark.parametrize("text, at, zh, en, fix", [
    ("year == ２０２４", (8, 4), "“２０２４”是全角数字", "'２０２４' is written in full-width digits", "write the ASCII digits 2024"),
    ("year ==\u30002024", (7, 1), "这里有一个全角空格", "a full-width space (U+3000) is here", "write an ASCII space, or none"),
    ("rate >= 20%", (10, 1), "表达式里不能写“%”", "'%' cannot be written in an expression", "30% is 30"),
    ("briefings >= 2次", (14, 1), "数字后面不能写单位“次”", "a number cannot be followed by a unit ('次')", "write the number alone"),
    ("days >= 30 天", (11, 1), "数字后面不能写单位“天”", "a number cannot be followed by a unit ('天')", "remove '天'"),
    ("year >= 2024-01-01", (8, 10), "“2024-01-01”在表达式里是减法（得 2022），不是日期", "is a subtraction (giving 2022)",
     'date("2024-01-01")'),
    # the comparisons in Chinese words (以上 includes the number, as in the documents), operators in capitals
    ("policy_briefings 不少于 min_policy_briefings", (17, 3), "“不少于”不是运算符：比较写 '>='", "'不少于' is not an operator",
     "write: policy_briefings >= min_policy_briefings"),
    ("service_days 以上 30", (13, 2), "“以上”不是运算符：比较写 '>='", "write '>='", "write: service_days >= 30"),
    ("score 不超过 100", (6, 3), "比较写 '<='", "'不超过' is not an operator", "write: score <= 100"),
    ("talents 小于 3", (8, 2), "比较写 '<'", "write '<'", "write: talents < 3"),
    ("grade 不等于 \"excellent\"", (6, 3), "比较写 '!='", "write '!='", 'write: grade != "excellent"'),
    ("a >= 3 AND b", (7, 3), "“AND”要写成小写的 'and'", "'AND' is written in lower case", "write: a >= 3 and b"),
    ("NOT a", (0, 3), "“NOT”要写成小写的 'not'", "'NOT' is written in lower case", "write: not a"),
    ("NOT(a)", (0, 3), "“NOT”要写成小写的 'not'", "'NOT' is written in lower case", "change NOT to not"),
    # a rewrite is shown only where it reads: '30 以上' after a comparison is a word to remove, as before
    ("service_days >= 30 以上", (19, 2), "数字后面不能写单位“以上”", "a number cannot be followed by a unit ('以上')",
     "remove '以上': write the number alone"),
    ("x 以上", (2, 2), "“以上”不是运算符：比较写 '>='", "write '>='", "e.g. service_days >= 30"),
    ("days =< 30", (5, 2), "'=<' 不是运算符", "'=<' is not an operator", "write '<=' for 'at most'"),
    # 'else' left out: said, not 'write what follows true, or remove it'
    ("if service_days > 3 then true", (29, 1), "“if … then …”缺少 else 部分", "expected 'else'", "add 'else'"),
])
def test_an_expression_slip_is_named_at_its_place_with_the_fix(text, at, zh, en, fix):
    from policyengine.parse import ExprError, parse_expression

    with pytest.raises(ExprError) as got:
        parse_expression(text)
    e = got.value
    assert (e.code, (e.offset, e.length)) == ("PE020", at)
    assert zh in e.message.zh and en in e.message.en and fix in e.hint.en
    assert any("\u4e00" <= c <= "\u9fff" for c in e.hint.zh)


PACKS = INVALID.parent.parent / "policies"


@pytest.mark.parametrize("file, old, new, words", [
    # a date compared with a date in quotes (text): the hint writes date("…")
    ("dongsheng/plan_2024_17.yaml", "condition: active_commissioners >= 20",
     'condition: active_commissioners >= 20 and as_of >= "2024-07-02"',
     ['cannot compare date with string', 'help: write the date as date("2024-07-02"): in quotes alone it is text']),
    # a document's date in quotes
    ("imust/measures_2023_45.yaml", "  effective: 2023-07-07", '  effective: "2023-07-07"',
     ["help: remove the quotes, write 2023-07-07: a date in quotes is text"]),
    # two enum values in one pair of quotes
    ("baotou/commissioner_plan.yaml", '["university", "research_institute"', '["university, research_institute"',
     ['help: quote each value on its own, with commas between: "university", "research_institute"']),
    # a parameter's number in Chinese numerals, with a unit, or in full-width quotes: said at the value
    ("dongsheng/plan_2024_17.yaml", "  min_policy_briefings:\n    value: 2\n", "  min_policy_briefings:\n    value: 三次\n",
     ["plan_2024_17.yaml:26:12", "the value '三次' of parameter 'min_policy_briefings' is text", "write the number alone, 3"]),
    ("dongsheng/plan_2024_17.yaml", "  min_policy_briefings:\n    value: 2\n", "  min_policy_briefings:\n    value: “2”\n",
     ["plan_2024_17.yaml:26:12", "write the number alone, 2"]),
    # a decimal where the rule reading it needs a whole number: the error where it is read names the value
    ("dongsheng/plan_2024_17.yaml", "  min_policy_briefings:\n    value: 2\n", "  min_policy_briefings:\n    value: 3.0\n",
     ["must be int, but this expression is decimal", "note: ", "plan_2024_17.yaml:26:12: the value of 'min_policy_briefings' "
      "is written here (3.0)", "help: write the value of parameter 'min_policy_briefings' as int, e.g. 3"]),
    # a full-width comma in a coverage list: one entry, not two (the did-you-mean dropped one of them)
    ("dongsheng/plan_2024_17.yaml", "  三(一): [min_policy_briefings, dongsheng", "  三(一): [min_policy_briefings，dongsheng",
     ["the '，' in the coverage of 三(一) is no list comma",
      "help: separate the entries with an ASCII comma and a space: min_policy_briefings, dongsheng.commissioner.policy-briefings"]),
    # a citation in full-width quotes, which YAML keeps as part of the text (shown in every explanation)
    ("dongsheng/plan_2024_17.yaml", "    citation: 三(一)\n    when: year == 2024\n    check: policy_briefings",
     "    citation: “三(一)”\n    when: year == 2024\n    check: policy_briefings",
     ["error[PE012 invalid-value]: the citation “三(一)” is in full-width quotes", "help: remove the quotes: citation: 三(一)"]),
    # dates out of order that were accepted silently (and decisions flipped): a document superseding one that
    # takes effect after it, a rule taking effect before its document
    ("imust/measures_2023_45.yaml", "  effective: 2023-07-07\n", "  effective: 2023-07-01\n",
     ["measures_2023_45.yaml:14:16: error[PE036 bad-date-range]: this document takes effect on 2023-07-01, before "
      "'imust.notice-first-hundred' (2023-07-06), which it supersedes", "help: check the effective dates of both documents"]),
    ("dongsheng/plan_2024_17.yaml", "  - id: dongsheng.commissioner.policy-briefings\n",
     "  - id: dongsheng.commissioner.policy-briefings\n    effective: 2023-01-01\n",
     ["rule 'dongsheng.commissioner.policy-briefings' takes effect on 2023-01-01, before its document does (2024-07-02)",
      "help: remove the rule's effective"]),
    # another subject's fact in a jurisdiction's target
    ("dongsheng/plan_2024_17.yaml", "condition: active_commissioners >= 20",
     "condition: active_commissioners >= 20 and service_days >= 30",
     ["'service_days' is a fact of commissioner; this rule's subject is jurisdiction",
      "use a fact of jurisdiction, or write the rule for commissioner"]),
])
def test_a_slip_in_an_edited_pack_file_gets_the_fix(tmp_path, capsys, file, old, new, words):
    text = (PACKS / file).read_text(encoding="utf-8")
    assert old in text
    edited = tmp_path / Path(file).name
    edited.write_text(text.replace(old, new, 1), encoding="utf-8")
    assert main(["check", str(edited), "--policies", str(PACKS), "--lang", "en"]) == 1
    out = capsys.readouterr().out
    assert "1 error(s)" in out and all(w in out for w in words), out


def test_a_district_file_checked_alone_says_to_load_its_layers_and_nothing_more(capsys, monkeypatch, tmp_path):
    """Without the layers above, a restated rule of theirs is no unknown reference (it said so, and
    suggested the rule itself): only the missing parent is reported, with how to load it."""
    edited = tmp_path / "plan_2024_17.yaml"
    edited.write_text((PACKS / "dongsheng" / "plan_2024_17.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    assert main(["check", str(edited), "--lang", "en"]) == 1
    out = capsys.readouterr().out
    assert "PE033" in out and "--policies" in out and "PE034" not in out and "1 error(s)" in out, out


def test_replacing_a_rule_of_another_branch_says_it_never_applies_here(tmp_path, capsys):
    """A Dongsheng rule that 'replaces' a Baotou rule: Baotou's rules never apply at Dongsheng, so the
    warning says nothing is replaced (it said 'both apply')."""
    text = (PACKS / "dongsheng" / "plan_2024_17.yaml").read_text(encoding="utf-8")
    old = "  - id: dongsheng.commissioner.policy-briefings\n"
    assert old in text
    edited = tmp_path / "plan_2024_17.yaml"
    edited.write_text(text.replace(old, old + "    replaces: bt.commissioner.platform-registration\n", 1), encoding="utf-8")
    assert main(["check", str(edited), "--policies", str(PACKS), "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert ("warning[PE052 binding-not-replaceable]: 'dongsheng.commissioner.policy-briefings' replaces "
            "'bt.commissioner.platform-registration' of cn/nm/baotou, which is not above cn/nm/ordos/dongsheng: "
            "that rule never applies here, so nothing is replaced") in out, out
    assert "both apply" not in out


def test_a_case_fact_with_a_unit_full_width_digits_or_none_for_a_date_gets_the_value_to_write(tmp_path, capsys):
    case = tmp_path / "c.yaml"
    case.write_text("subject: commissioner\njurisdiction: cn/nm/baotou/imust\nas_of: 2024-03-01\nfacts:\n"
                    "  service_days: ４０\n  year: 2024年\n  false_information_found: 无\n  rd_enterprises: \"3\"\n"
                    "  talents: 1_5\n  dispatch_start: 2023/3/15\n", encoding="utf-8")
    assert main(["evaluate", str(case), "--lang", "en"]) == 2
    err = capsys.readouterr().err
    for line, fix in [(5, "write 40: no quotes or unit, in ASCII digits"), (6, "write 2024: no quotes or unit"),
                      (7, "where there is no such date, remove the line (leave the fact out)"), (8, "write 3: no quotes"),
                      (9, "write one number alone: no quotes, unit or separator"), (10, "write 2023-03-15")]:
        assert f"c.yaml:{line}:" in err and f"help: {fix}" in err, (line, err)


@pytest.mark.parametrize("name, text", [
    ("a date in a comment", "check: |\n      # 自 2024-01-01 起\n      policy_briefings >= min_policy_briefings\n"),
    ("a full-width space in a block text", "note: |\n      　　原文：每人每年不少于2次\n    check: policy_briefings >= min_policy_briefings\n"),
    ("a full-width space after a key's space", "note: 　　原文：每人每年不少于2次\n    check: policy_briefings >= min_policy_briefings\n"),
    ("an apostrophe in plain text", "note: in the district's words, 'as agreed\n    check: policy_briefings >= min_policy_briefings\n"),
])
def test_valid_text_that_looks_like_a_slip_is_not_one(tmp_path, capsys, name, text):
    """What the slip finders must pass over (each was reported by an earlier version of them)."""
    plan = (PACKS / "dongsheng" / "plan_2024_17.yaml").read_text(encoding="utf-8")
    old = "    check: policy_briefings >= min_policy_briefings\n"
    assert plan.count(old) == 1
    edited = tmp_path / "plan_2024_17.yaml"
    edited.write_text(plan.replace(old, "    " + text), encoding="utf-8")
    assert main(["check", str(edited), "--policies", str(PACKS), "--lang", "en"]) == 0, capsys.readouterr().out


@pytest.mark.parametrize("value, flagged", [("3A级", None), ('"12345"', None), ("5万元", "write the number alone, 50000"),
                                            ('"2"', "write the number alone, 2"), ("30%", "(30% is written 30)")])
def test_a_text_parameter_is_text_unless_a_number_is_meant(tmp_path, capsys, value, flagged):
    """A parameter's value may be text; one that is a number and a unit is reported only where a number is
    meant: declared a number above, or not published as a text outcome ('"12345"' published as text is text)."""
    doc = (INVALID / "PE012_parameter-with-unit.yaml").read_text(encoding="utf-8").split("\n", 2)[2]
    doc = doc.replace("    value: 5年\n", "    value: 5\n")
    doc = doc.replace("outputs:\n", "outputs:\n  hotline: {type: string, combine: override, subjects: [commissioner], label: 热线}\n", 1)
    doc = doc.replace("parameters:\n", f"parameters:\n  hotline:\n    value: {value}\n    label: 热线\n    citation: （七）\n"
                      f"    output: hotline\n    subject: commissioner\n" if value in ("3A级", '"12345"') else
                      f"parameters:\n  extra_years:\n    value: {value}\n    label: 另加年限\n    citation: （七）\n", 1)
    f = tmp_path / "doc.yaml"
    f.write_text(doc, encoding="utf-8")
    code = main(["check", str(f), "--lang", "en"])
    out = capsys.readouterr().out
    if flagged is None:
        assert code == 0 and "PE012" not in out, out
    else:
        assert code == 1 and "PE012" in out and flagged in out, out


def test_a_pack_folder_of_a_copy_checked_alone_says_only_to_load_its_layers(tmp_path, capsys):
    """A copy of the packs, one folder checked: coverage entries and published outputs of the layers above
    (not loaded) were 6 more errors, with did-you-means of the folder's own rules ('nm.commissioner.ban' →
    'imust.commissioner.teacher'); only the missing parent is an error, with how to load it."""
    shutil.copytree(PACKS, tmp_path / "policies")
    assert main(["check", str(tmp_path / "policies" / "imust"), "--lang", "en"]) == 1
    out = capsys.readouterr().out
    assert "PE033" in out and "--policies" in out and "1 error(s)" in out, out
    assert "PE034" not in out and "PE039" not in out and "did you mean" not in out


def test_a_file_whose_level_is_declared_in_a_file_left_out_is_not_told_to_move_up(tmp_path, capsys):
    """The IMUST measures checked without the notice that declares cn/nm/baotou/imust: 'did you mean
    cn/nm/baotou?' would move the university's rules up to the city."""
    shutil.copytree(PACKS, tmp_path / "policies")
    (tmp_path / "policies" / "imust" / "notice_first_hundred_teachers.yaml").unlink()
    assert main(["check", str(tmp_path / "policies" / "imust" / "measures_2023_45.yaml"), "--lang", "en"]) == 1
    out = capsys.readouterr().out
    assert "jurisdiction 'cn/nm/baotou/imust' is declared under 'jurisdictions:' in no file" in out, out
    assert "(- id: cn/nm/baotou/imust, parent: cn/nm/baotou)" in out and "did you mean 'cn/nm/baotou'" not in out


@pytest.mark.parametrize("citation, words, not_said", [
    # the entry as the table writes it (following '三（一）' added a second entry for the same article)
    ("三（一）", ["warning[PE102 not-in-coverage]", "help: add 'dongsheng.commissioner.new-rule' to the list of 三(一)"], []),
    # an article the table calls not decisional: once, as PE103 (PE102 said to add it to a list that is none)
    ("四（一）", ["warning[PE103 cited-article-not-decisional]", "list what encodes 四(一) instead: [dongsheng.commissioner.new-rule]"],
     ["PE102"]),
])
def test_a_new_rule_citing_in_full_width_brackets_is_told_the_coverage_entry_there_is(tmp_path, capsys, citation, words,
                                                                                      not_said):
    text = (PACKS / "dongsheng" / "plan_2024_17.yaml").read_text(encoding="utf-8")
    rule = ("  - id: dongsheng.commissioner.new-rule\n    kind: obligation\n    subject: commissioner\n    label: 新规则\n"
            f"    citation: {citation}\n    when: year == 2024\n    check: policy_briefings >= 1\n")
    edited = tmp_path / "plan_2024_17.yaml"
    edited.write_text(text.replace("rules:\n", "rules:\n" + rule, 1), encoding="utf-8")
    assert main(["check", str(edited), "--policies", str(PACKS), "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert all(w in out for w in words) and not any(w in out for w in not_said), out


def test_a_misspelt_kind_is_told_the_kind_it_meant(tmp_path):
    f = tmp_path / "tests.yaml"
    f.write_text("kind: policy_test\nversion: 1\ncases: []\n", encoding="utf-8")
    ps = load_rule_files([f])
    assert [d.code for d in ps.errors] == ["PE013"]
    assert "did you mean 'policy-test'?" in ps.errors[0].hint and "是不是 'policy-test'？" in ps.errors[0].hint_zh


ROOT_DOC = """kind: policy-document
version: 1
document: {id: root, title: 国家文件, issuer: 国务院, jurisdiction: cn, effective: 2020-01-01}
jurisdictions:
  - {id: cn, name: 全国, level: national}
  - {id: cn/r, name: 某区, level: region, parent: cn}
facts:
  commissioner:
    score: {type: decimal, label: 分数}
    report_month: {type: string, label: 报告月份}
outputs:
  eligible: {type: bool, combine: all, subjects: [commissioner], label: 符合条件}
parameters:
  coef: {value: 1, stricter: higher, label: 系数, citation: 第七条}
  due_month: {value: 七月, label: 报告月份, citation: 第七条}
  grade_word: {value: 三, label: 等级, citation: 第七条}
rules:
  - id: r.score
    kind: eligibility
    subject: commissioner
    label: 分数与月份
    citation: 第十条“三不”
    condition: score >= coef and (report_month == due_month or report_month == grade_word)
"""


def test_what_the_slip_finders_must_leave_alone(tmp_path, capsys):
    """Valid packs a review of the slip finders found refused: a region tightening a whole number to a decimal
    (1 → 1.5), text parameters in Chinese numerals (七月, 三), an article that quotes a term (第十条“三不”)."""
    (tmp_path / "root.yaml").write_text(ROOT_DOC, encoding="utf-8")
    (tmp_path / "region.yaml").write_text(
        "kind: policy-document\nversion: 1\ndocument: {id: region, title: 区办法, issuer: 区科技厅, jurisdiction: cn/r, "
        "extends: cn, effective: 2021-01-01}\nparameters:\n  coef: {value: 1.5, stricter: higher, label: 系数, "
        "citation: 第七条}\n", encoding="utf-8")
    assert main(["check", str(tmp_path), "--lang", "en"]) == 0, capsys.readouterr().out
    case = tmp_path / "c.json"
    case.write_text('{"subject": "commissioner", "jurisdiction": "cn/r", "as_of": "2023-01-01", '
                    '"facts": {"score": 1.2, "report_month": "七月"}}', encoding="utf-8")
    assert main(["evaluate", str(case), "--policies", str(tmp_path), "--format", "json"]) == 0
    assert '"eligible": false' in capsys.readouterr().out  # 1.2 < 1.5


def test_a_misspelt_level_keeps_its_did_you_mean(tmp_path, capsys):
    shutil.copytree(PACKS, tmp_path / "policies")
    f = tmp_path / "policies" / "baotou" / "commissioner_plan.yaml"
    text = f.read_text(encoding="utf-8")
    assert "  jurisdiction: cn/nm/baotou\n" in text
    f.write_text(text.replace("  jurisdiction: cn/nm/baotou\n", "  jurisdiction: cn/nm/baotuo\n", 1), encoding="utf-8")
    assert main(["check", str(tmp_path / "policies"), "--lang", "en"]) == 1
    assert "did you mean 'cn/nm/baotou'?" in capsys.readouterr().out


HEAD = ("kind: policy-document\nversion: 1\ndocument: {id: root, title: 国家文件, issuer: 国务院, jurisdiction: cn, "
        "effective: 2020-01-01}\njurisdictions:\n  - {id: cn, name: 全国, level: national}\n")


@pytest.mark.parametrize("body, at, words", [
    # a '[' in a block text above a one-line list with a bad entry: the slip is in that list, not the text
    ("parameters:\n  days:\n    value: 30\n    label: 天数\n    citation: 第七条\n    note: >-\n      原文见附件 [第1页，\n"
     "      第2页]\n    tags: [a, [b] c]\n", (14, 19), "check the commas and the closing ']'"),
    # a comma missing at the end of the first line of a two-line list: not "close it at the end of this line"
    ("enums:\n  education: {ordered: true, values: [\"none\", \"junior_college\"\n"
     "                                      \"bachelor\", \"master\"]}\n", (8, 39), "check the commas and the closing ']'"),
    # a list item that is a block text ('- >-'), its text at the item's column: text, not a key with a slip
    ("coverage:\n  第七条:\n    - >-\n      说明：本条只规定程序\n  第八条: {zh: 程序, en: procedure\n  第九条: [a]\n", (10, 8),
     "close it with '}' at the end of this line"),
    # a list item whose first key holds a block text: its later keys are keys, and their slips are found
    ("rules:\n  - label: >-\n      服务天数\n    id: r.days\n    kind: eligibility\n    subject: commissioner\n"
     "    citation：第七条\n", (12, 13), "write an ASCII colon and a space: citation: …"),
])
def test_a_slip_near_a_block_text_or_a_list_of_several_lines_is_where_it_is(tmp_path, body, at, words):
    f = tmp_path / "doc.yaml"
    f.write_text(HEAD + body, encoding="utf-8")
    ps = load_rule_files([f])
    assert [(d.span.line, d.span.column) for d in ps.errors] == [at], [(d.span.line, d.span.column, d.message) for d in ps.errors]
    assert words in ps.errors[0].hint, ps.errors[0].hint


@pytest.mark.parametrize("value, says", [
    ("三年", "the value '三年' of parameter 'term' is text, not a number"),  # (Chinese numerals: a number is meant here)
    ("三", "help: write the number alone, 3"),
    ("abc", "the value \"abc\" of parameter 'term' is not a number: the outcome 'term_years' it publishes is one"),
])
def test_a_parameter_published_as_a_number_is_a_number(tmp_path, capsys, value, says):
    """'三年' or 'abc' published as a whole-number outcome passed the check, and decisions gave the text."""
    doc = ROOT_DOC.replace("outputs:\n", "outputs:\n  term_years: {type: int, combine: override, subjects: [commissioner], "
                                          "label: 期限}\n", 1)
    doc = doc.replace("parameters:\n", f"parameters:\n  term: {{value: {value}, label: 期限, citation: 第八条, output: term_years, "
                                        "subject: commissioner}\n", 1)
    (tmp_path / "root.yaml").write_text(doc, encoding="utf-8")
    assert main(["check", str(tmp_path), "--lang", "en"]) == 1
    out = capsys.readouterr().out
    assert "PE012" in out and says in out, out
