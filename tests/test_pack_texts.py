"""The texts a pack writes for people — readings, ambiguities, notes, assumed dates, the reasons
an article decides nothing or a warning is accepted — in the language of the output: written
{zh, en}, each language shows its own; written as one text (a third-party pack), it is shown as
written in both.  And a document is cited by its English title in English output.

The rule for the shipped packs' texts (``test_no_shipped_pack_text_mixes_the_languages``):
- the Chinese form has Chinese, and no English phrase (two English words in a row) outside
  quotation marks: identifiers (``as_of``), values and codes stand as they are;
- the English form has no Chinese except the document's own words quoted in “…” or 《…》
  (glossed where the meaning is not plain) and citations: an article (第七条(二), 附件1,
  六(四), 三5) or a document number (内科大校发〔2023〕45号).
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from policyengine.api import default_policy_dir, load_rule_files
from policyengine.cli import main
from policyengine.coverage import coverage_report

POLICIES = Path(default_policy_dir())

CJK = re.compile(r"[\u3400-\u9fff\u3000-\u303f\uff01-\uff5e]")
QUOTED_EN = re.compile(r"“[^”]*”|《[^》]*》")
_NUM = "一二三四五六七八九十百零〇"
CITATION = re.compile(rf"第[{_NUM}\d]+[条项款]|附件\d*|[\u4e00-\u9fff]*〔\d{{4}}〕\d+号|[(（][{_NUM}]+[)）]"
                      rf"|[{_NUM}]+(?:[(（][{_NUM}\d]+[)）]|\d+)")
QUOTED_ZH = re.compile(r"“[^”]*”|‘[^’]*’|'[^']*'|`[^`]*`")
ENGLISH_PHRASE = re.compile(r"\b[A-Za-z]{2,}\s+[A-Za-z]{2,}\b")
PROSE = ("reading", "ambiguity", "note", "dates_assumed", "reason")


def chinese_left_in_english(en: str) -> str | None:
    rest = CITATION.sub("", QUOTED_EN.sub("", en))
    m = CJK.search(rest)
    return rest[max(0, m.start() - 15):m.end() + 15] if m else None


def english_left_in_chinese(zh: str) -> str | None:
    if not CJK.search(zh):
        return "no Chinese at all"
    m = ENGLISH_PHRASE.search(QUOTED_ZH.sub("", zh))
    return m.group() if m else None


def pack_texts(data, where=""):
    """Every text a rule file writes for people: (where, value)."""
    if isinstance(data, dict):
        for k, v in data.items():
            if k in PROSE:
                yield f"{where}.{k}", v
            elif k == "notes":
                yield from ((f"{where}.notes[{i}]", x) for i, x in enumerate(v))
            elif k == "coverage":
                yield from ((f"{where}.coverage.{a}", x) for a, x in v.items() if not isinstance(x, list))
            else:
                yield from pack_texts(v, f"{where}.{k}")
    elif isinstance(data, list):
        for i, x in enumerate(data):
            yield from pack_texts(x, f"{where}[{i}]")


def test_the_rule_itself_tells_mixed_from_bilingual():
    # (so that the test below cannot pass by accepting everything)
    assert "国有大中型工业企业" in chinese_left_in_english("the plan says 国有大中型工业企业 (large)")
    assert chinese_left_in_english("the plan says “国有大中型工业企业” (large); see 第七条(二) and 内科大校发〔2023〕45号") is None
    assert english_left_in_chinese("采用产品负责人确定的解读1。Reading 1 settled by the product owner") == "settled by"
    assert english_left_in_chinese("采用的解读。 Reading one settled by the owner") == "Reading one"
    assert english_left_in_chinese("按 as_of 当天的数量判断（见 CONTRACT.md）") is None
    assert english_left_in_chinese("not decisional: purpose") == "no Chinese at all"


def test_no_shipped_pack_text_mixes_the_languages():
    ps = load_rule_files([POLICIES])
    assert not ps.errors
    seen = 0
    for doc_id, loaded in sorted(ps.sources.items()):
        for where, text in pack_texts(loaded.data, doc_id):
            seen += 1
            assert isinstance(text, dict) and text.get("zh") and text.get("en"), f"{where} is not written {{zh, en}}"
            assert not english_left_in_chinese(text["zh"]), (where, english_left_in_chinese(text["zh"]))
            assert not chinese_left_in_english(text["en"]), (where, chinese_left_in_english(text["en"]))
    assert seen >= 240  # every reading, ambiguity, note, date, reason and 'not decisional' of the seven documents


# --- the shipped packs: check --notes and the citations ------------------------------------------------


PLAN = POLICIES / "baotou" / "commissioner_plan.yaml"


def _messages(f: Path, lang: str, capsys, *policies: str) -> str:
    """What check --notes says (not the lines of the file it quotes under each message)."""
    assert main(["check", str(f), *policies, "--notes", "--lang", lang]) == 0
    return "\n".join(ln for ln in capsys.readouterr().out.splitlines() if not re.match(r"\s+\d+ \||\s+\|", ln))
AMBIGUITY = ("方案写的是“国有大中型工业企业”，但没有事实记录企业的规模或行业",
             "the plan says “国有大中型工业企业” (large and medium-sized, industrial), but no fact gives")
REGION = ("内蒙古自治区企业科技特派员管理办法（内科发高字〔2023〕1号） 第二条",
          "Inner Mongolia Measures for Enterprise S&T Commissioners (内科发高字〔2023〕1号) 第二条")
PLAN_TITLE = ("包头市企业科技特派员实施方案 四(一)", "Baotou Implementation Plan for Enterprise S&T Commissioners 四(一)")


def test_check_notes_shows_each_language_its_own_text_and_titles(capsys):
    zh, en = (_messages(PLAN, lang, capsys) for lang in ("zh", "en"))
    assert f"{PLAN_TITLE[0]}：{AMBIGUITY[0]}" in zh and AMBIGUITY[1] not in zh
    assert f"{PLAN_TITLE[1]}: {AMBIGUITY[1]}" in en and AMBIGUITY[0] not in en
    # a reading, and the acknowledgement's reason, each in its language
    assert "采用产品负责人确定的解读4：选聘由盟市负责" in zh and "Reading 4 settled" not in zh
    assert "Reading 4 settled by the product owner: selection is the cities' task" in en and "解读4" not in en
    # the delegated replacement cites both documents: the Chinese exactly as before, English titles in English
    assert (f"'bt.commissioner.type-source'（{PLAN_TITLE[0]}）依上级授权替换 'nm.commissioner.source-unit'（{REGION[0]}）"
            in zh)
    assert (f"'bt.commissioner.type-source' ({PLAN_TITLE[1]}) replaces 'nm.commissioner.source-unit' ({REGION[1]})"
            in en)
    assert f"delegating provision: {REGION[1]}" in en and "内蒙古自治区企业科技特派员管理办法" not in en
    assert "包头市企业科技特派员实施方案" not in en


# --- a pack of one's own: {zh, en} and plain text -----------------------------------------------------------

PACK = """\
kind: policy-document
version: 1
document:
  id: nm.kjt-2023-1
  title: {title}
  issuer: 内蒙古自治区科学技术厅
  jurisdiction: cn/nm
  effective: 2023-02-01
  dates_assumed: {dates}
jurisdictions:
  - {{id: cn, name: 全国, level: national}}
  - {{id: cn/nm, name: 内蒙古自治区, level: region, parent: cn}}
facts:
  commissioner:
    service_days: {{type: int, label: 年度服务天数, min: 0}}
outputs:
  compliant: {{type: bool, combine: all, subjects: [commissioner], label: 履行义务}}
parameters:
  min_days: {{value: 30, stricter: higher, label: 最少天数, citation: 第八条, reading: {reading}}}
coverage:
  第一条: {purpose}
  第八条: [nm.commissioner.service-days, min_days]
rules:
  - id: nm.commissioner.service-days
    kind: obligation
    subject: commissioner
    label: 每年在派驻企业工作时间累计不少于30天
    citation: 第八条
    check: service_days >= min_days
    ambiguity: {ambiguity}
"""
BILINGUAL = {"title": "{zh: 管理办法, en: The Measures}", "dates": "{zh: 原文未写日期, en: the text is undated}",
             "reading": "{zh: 按日历天数计算, en: calendar days}", "purpose": "{zh: 目的, en: purpose}",
             "ambiguity": "{zh: “累计”没有说明起算日, en: “累计” names no first day}"}
PLAIN = {"title": "管理办法", "dates": "the text is undated", "reading": "calendar days",
         "purpose": '"not decisional: purpose"', "ambiguity": "“累计” names no first day"}


def _pack(tmp_path: Path, texts: dict) -> Path:
    (tmp_path / "p").mkdir()
    f = tmp_path / "p" / "measures.yaml"
    f.write_text(PACK.format(**texts), encoding="utf-8")
    return f


def _notes(f: Path, lang: str, capsys) -> str:
    return _messages(f, lang, capsys, "--policies", str(f.parent))


def test_a_pack_written_zh_en_speaks_each_language(tmp_path, capsys):
    f = _pack(tmp_path, BILINGUAL)
    zh, en = _notes(f, "zh", capsys), _notes(f, "en", capsys)
    assert "原文不清楚：管理办法 第八条：“累计”没有说明起算日" in zh and "names no first day" not in zh
    assert "The Measures 第八条: “累计” names no first day" in en and "没有说明起算日" not in en
    assert "采用的解读：管理办法 第八条 'min_days'：按日历天数计算" in zh
    assert "reading: The Measures 第八条 'min_days': calendar days" in en and "按日历天数计算" not in en
    assert "— 原文未写日期" in zh and "— the text is undated" in en and "原文未写日期" not in en
    text = {lang: coverage_report([f.parent], lang=lang)[0] for lang in ("zh", "en")}
    assert "管理办法 — cn/nm\n  第一条: 不作决定：目的\n" in text["zh"]
    assert "The Measures — cn/nm\n  第一条: not decisional: purpose\n" in text["en"]
    md = coverage_report([f.parent], fmt="md", lang="en")[0]
    assert "| 第一条 | not decisional: purpose |" in md
    assert '"第一条": "不作决定：目的"' in coverage_report([f.parent], fmt="json", lang="zh")[0]


def test_a_pack_written_in_one_language_is_shown_as_written(tmp_path, capsys):
    f = _pack(tmp_path, PLAIN)
    zh, en = _notes(f, "zh", capsys), _notes(f, "en", capsys)
    for out in (zh, en):  # the text as the pack wrote it, and the Chinese title in both: there is no other
        assert "管理办法 第八条" in out and "“累计” names no first day" in out and "calendar days" in out
    assert "原文不清楚：管理办法 第八条：“累计” names no first day" in zh
    for lang in ("zh", "en"):
        assert "  第一条: not decisional: purpose\n" in coverage_report([f.parent], lang=lang)[0]


def test_a_zh_en_not_decisional_entry_that_a_rule_cites_is_still_reported(tmp_path, capsys):
    f = _pack(tmp_path, {**BILINGUAL, "purpose": "{zh: 目的, en: purpose}"})
    f.write_text(f.read_text(encoding="utf-8").replace("citation: 第八条\n    check", "citation: 第一条\n    check"),
                 encoding="utf-8")
    assert main(["check", str(f), "--policies", str(f.parent), "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert "PE103" in out and "the coverage table marks 第一条 'not decisional'" in out


@pytest.mark.parametrize("entry", ["{zh: 目的}", '"not decisional: 目的"'])
def test_the_chinese_alone_serves_english_output_too(tmp_path, entry):
    f = _pack(tmp_path, {**BILINGUAL, "purpose": entry})
    assert "  第一条: not decisional: 目的\n" in coverage_report([f.parent], lang="en")[0]
