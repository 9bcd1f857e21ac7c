"""What the json module says (and what our JSON readers say of NaN, Infinity, a long integer) reaches a
Chinese message in Chinese: a JSON Lines row of ``policyengine batch``, a workbench field, a request body."""
from __future__ import annotations

import json
import re

import pytest

from policyengine import Policies
from policyengine.batch import run_batch
from policyengine.cases import json_problem, json_says


@pytest.fixture(scope="module")
def policies() -> Policies:
    return Policies.load()


def test_a_json_lines_row_that_is_not_json_is_said_in_chinese(policies, tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text('{"id": NaN}\n{"id": -Infinity}\n{"id": 1,}\nnot json\n{"id": 1, "id": 2}\n{"id": ' + "1" * 5000
                   + "}\n", encoding="utf-8")
    run_batch(policies, src, tmp_path / "out.jsonl", engine="python", lang="zh")
    said = [json.loads(x)["error"] for x in (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()]
    assert said[0] == "第 1 行：不是 JSON（NaN 不是数字，JSON 里不能写非数字和无穷大）", said[0]
    assert said[1].startswith("第 2 行：不是 JSON（-Infinity 不是数字"), said[1]
    assert said[2] == '第 3 行：不是 JSON（第 10 列：这里应当是用半角双引号 " 括起来的字段名；最后一项后面不要加逗号）', said[2]
    assert said[3].startswith("第 4 行：不是 JSON（第 1 列：这里应当是一个值"), said[3]
    assert said[4] == '第 5 行：键 "id" 写了两次', said[4]
    assert said[5] == "第 6 行：不是 JSON（整数超过 4300 位）", said[5]
    for s in said:  # no English of the json module: the only Latin words are JSON's own
        assert set(re.findall(r"[A-Za-z]+", s)) <= {"JSON", "NaN", "Infinity", "id", "true", "false", "null"}, s
    run_batch(policies, src, tmp_path / "out-en.jsonl", engine="python", lang="en")
    said = [json.loads(x)["error"] for x in (tmp_path / "out-en.jsonl").read_text(encoding="utf-8").splitlines()]
    assert said[0] == "line 1: not JSON (NaN is not a number)" and said[4] == 'line 5: the key "id" is given twice'


@pytest.mark.parametrize("text", ['{"a": 1,}', "[1, 2,]", '{"a" 1}', "[1 2]", "{'a': 1}", '"abc', '"a\x01"',
                                  r'"\q"', r'"\u12"', "[1] 2", "", "nul", '{"a": 1', "[", "{1: 2}"])
def test_every_message_of_the_json_module_has_its_chinese(text):
    with pytest.raises(json.JSONDecodeError) as e:
        json.loads(text)
    assert json_says(e.value.msg) != e.value.msg and re.search("[\u4e00-\u9fff]", json_says(e.value.msg))
    zh = json_problem(text, e.value, "zh")
    assert e.value.msg not in zh, zh
    assert json_problem(text, e.value, "en").startswith(f"not valid JSON at line {e.value.lineno}, column {e.value.colno}: {e.value.msg}")


def test_the_pure_python_decoder_messages_and_our_readers_have_their_chinese():
    for msg in ("Invalid control character '\\n' at", "Invalid \\escape: 'q'", "NaN is not a number",
                "Infinity is not a number", "-Infinity is not a number",
                "Exceeds the limit (4300 digits) for integer string conversion: value has 5000 digits; "
                "use sys.set_int_max_str_digits() to increase the limit",
                "Illegal trailing comma before end of object", "Illegal trailing comma before end of array"):
        said = json_says(msg)
        assert re.search("[\u4e00-\u9fff]", said) and set(re.findall(r"[A-Za-z]+", said)) <= {"JSON", "NaN", "Infinity"}, msg


def test_a_workbench_json_field_says_what_is_wrong_in_chinese():
    from policyengine.web import forms

    for typed, zh, en in [('[{"a": ' + "1" * 5000 + "}]", "不是有效的 JSON：整数超过 4300 位", "not valid JSON: Exceeds the limit"),
                          ("[1,]", "不是有效的 JSON：第 1 行第 4 列，这里应当是一个值", "not valid JSON at line 1, column 4: Expecting value"),
                          ("[" * 40_000 + "]" * 40_000, "不是有效的 JSON：嵌套太深", "not valid JSON: too deeply nested")]:
        for lang, want in (("zh", zh), ("en", en)):
            f = forms.Field("x", "x", "json", nullable=False)
            assert forms.read_facts([f], {"x": typed}, lang) == {}
            if want is not None:
                assert f.error.startswith(want), f.error
            if lang == "zh":
                assert not re.search(r"Exceeds|Expecting|delimiter", f.error), f.error


def test_what_the_utf8_decoder_says_is_said_in_chinese(policies, tmp_path):
    """A JSON Lines line and a Parquet text cell that are not UTF-8: the Chinese error says why in Chinese (Python's ``invalid start byte`` stays in the English one)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    jsonl = tmp_path / "in.jsonl"
    jsonl.write_bytes(b'{"id": 1, "name": "\xd5\xc5"}\n{"id": 2, "name": "\xff"}\n')
    pq.write_table(pa.table({"id": [1], "note": pa.array([b"\xd5\xc5"], pa.binary()).cast(pa.string(), safe=False)}),
                   tmp_path / "in.parquet")
    said = {}
    for src in (jsonl, tmp_path / "in.parquet"):
        for lang in ("zh", "en"):
            out = tmp_path / f"out-{src.suffix[1:]}-{lang}.jsonl"
            run_batch(policies, src, out, engine="python", lang=lang)
            said[src.suffix, lang] = [json.loads(x)["error"] for x in out.read_text(encoding="utf-8").splitlines()]
    assert said[".jsonl", "zh"] == ["第 1 行：不是 UTF-8 编码（一个字符的后续字节无效）", "第 2 行：不是 UTF-8 编码（有一个字节不能作为字符的开头）"]
    assert said[".jsonl", "en"] == ["line 1: not UTF-8 (invalid continuation byte)", "line 2: not UTF-8 (invalid start byte)"]
    assert "（一个字符的后续字节无效）" in said[".parquet", "zh"][0] and "invalid" in said[".parquet", "en"][0]
    for (_, lang), texts in said.items():
        if lang == "zh":
            assert all(not re.search(r"invalid|unexpected|byte", t) for t in texts), texts


def test_a_json_lines_row_cut_off_in_a_text_says_the_quote_is_not_closed(policies, tmp_path):
    """The line's own end was read as part of the text: "a control character in quotes" for a row cut off."""
    src = tmp_path / "in.jsonl"
    src.write_text('{"id": 2, "name": "abc\n{"id": 3}\n', encoding="utf-8")
    for lang, want in (("zh", "第 1 行：不是 JSON（第 19 列：这个引号没有闭合）"),
                       ("en", "line 1: not JSON (Unterminated string starting at: line 1 column 19 (char 18))")):
        run_batch(policies, src, tmp_path / "out.jsonl", engine="python", lang=lang)
        assert json.loads((tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()[0])["error"] == want


@pytest.mark.parametrize("text, close", [("[1, 2", "]"), ('[{"year": 2022', "}]"), ('{"a": [1', "]}")])
def test_json_that_ends_before_its_brackets_close_says_which_to_add(text, close):
    """"Expecting ',' delimiter" at the end of the text asked for a comma; the fix is the closing brackets."""
    with pytest.raises(json.JSONDecodeError) as e:
        json.loads(text)
    assert json_problem(text, e.value, "zh").endswith(f"（列表或对象没有闭合：结尾缺少 {close}）")
    assert json_problem(text, e.value, "en").endswith(f"(a list or object is not closed: add {close} at the end)")
