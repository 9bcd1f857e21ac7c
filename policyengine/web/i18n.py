"""The workbench's own words (navigation, buttons, headings).  Everything about a policy —
jurisdictions, documents, facts, outcomes, rules, citations — comes from the packs."""
from __future__ import annotations

LANGS = ("zh", "en")

WORDS = {
    "zh": {
        "title": "政策工作台", "home": "层级与文件", "try": "试算", "draft": "草稿检查", "diff": "版本比较",
        "in_force_on": "生效日期", "documents_in_force": "现行文件", "no_documents": "本层级无现行文件",
        "other_documents": "其他文件（未生效或已失效）", "document": "文件", "number": "文号", "issuer": "发文机关",
        "effective": "施行", "until": "至", "jurisdiction": "层级", "articles": "条款", "article": "条款",
        "encoded_by": "编码规则", "decides_nothing": "不作判定", "readings": "解读与假设",
        "warnings": "检查提示", "none": "无", "subject": "主体", "as_of": "日期", "choose": "选择",
        "show_form": "显示表单", "facts": "事实", "unknown": "未知", "yes": "是", "no": "否", "null": "无（null）",
        "json_hint": "JSON 列表，例如", "decide": "判定", "decision": "判定结果", "outcome": "结果",
        "value": "取值", "explanation": "说明", "changed": "与上次相比有变化", "what_if": "假如：改动一个事实后再次判定，变化的结果会标出。",
        "what_if_changed": "改动的事实", "outcomes_changed": "变化的结果", "no_change": "结果无变化",
        "errors": "请更正以下问题", "layers": "适用层级", "rule_file": "被替换的规则文件", "new_file": "（新文件）",
        "paste": "粘贴修改后的规则文件", "upload": "或上传文件", "check_draft": "检查草稿",
        "draft_note": "草稿只在本次请求中检查，不会写入正在使用的政策。",
        "diagnostics": "检查结果", "line": "行", "column": "列", "no_diagnostics": "没有问题",
        "diff_against": "与现行版本的差异", "no_difference": "没有差异", "old": "旧版本", "new": "新版本",
        "compare": "比较", "rev_hint": "git 版本（如 HEAD~1），或 served 表示正在使用的政策",
        "change": "变化", "what": "内容", "not_found": "未找到", "error": "出错了",
        "internal": "内部错误；请求未被处理。", "csrf": "表单已过期，请重新打开页面再提交。",
        "too_large": "提交的内容太大。", "bad_request": "请求无效", "rules": "规则", "hint": "提示",
        "draft_errors": "草稿有错误，无法比较差异。", "language": "English", "all_documents": "全部文件",
        "missing": "缺少事实", "deciding": "决定性规则", "lang_code": "zh-CN", "back": "返回",
        "login": "登录", "key": "密钥", "login_failed": "密钥无效。", "login_needed": "请先用密钥登录。",
        "forbidden": "此密钥没有所需的权限", "logout": "退出", "no_keys": "本服务未设置密钥，无需登录。",
        "logged": "会改变的已记录判定", "logged_checked": "已核对的已记录判定", "logged_none": "没有已记录的判定会改变",
        "decision_id": "判定编号", "refused": "不予判定", "show": "显示",
        "csrf_kept": "表单已过期（也许在别处重新打开过工作台），没有处理；填写的内容保留在下面，请核对后再提交一次。",
        "rev_errors": "版本 {rev} 的规则文件有 {n} 个错误（见下），无法比较。",
        "no_outcome": "在这一日期，这一层级对此主体没有现行规定的结果",
        "on_disk": "规则文件已在磁盘上修改，尚未生效：重启服务后生效。", "on_disk_check": "重启前可先用“检查草稿”检查修改后的文件。",
        "on_disk_more": "等，共 {n} 个文件",
        "pasted_and_uploaded": "同时粘贴了文字又上传了文件，没有检查：请只用其中一种。粘贴的文字保留在下面；要检查上传的文件，请先清空文本框。",
    },
    "en": {
        "title": "Policy workbench", "home": "Layers and documents", "try": "Try a case", "draft": "Check a draft",
        "diff": "Compare versions", "in_force_on": "In force on", "documents_in_force": "Documents in force",
        "no_documents": "No document in force at this layer", "other_documents": "Other documents (not yet or no longer in force)",
        "document": "Document", "number": "Number", "issuer": "Issued by", "effective": "Effective", "until": "until",
        "jurisdiction": "Layer", "articles": "Articles", "article": "Article", "encoded_by": "Encoded by",
        "decides_nothing": "Decides nothing", "readings": "Readings and assumptions", "warnings": "Check warnings",
        "none": "none", "subject": "Subject", "as_of": "Date", "choose": "Choose", "show_form": "Show the form",
        "facts": "Facts", "unknown": "unknown", "yes": "yes", "no": "no", "null": "none (null)",
        "json_hint": "a JSON list, e.g.", "decide": "Decide", "decision": "Decision", "outcome": "Outcome",
        "value": "Value", "explanation": "Explanation", "changed": "changed since the last decision",
        "what_if": "What if: change one fact and decide again; the outcomes that change are marked.",
        "what_if_changed": "Facts changed", "outcomes_changed": "Outcomes changed", "no_change": "No outcome changed",
        "errors": "Please correct these", "layers": "Layers", "rule_file": "Rule file it replaces", "new_file": "(a new file)",
        "paste": "Paste the changed rule file", "upload": "or upload it", "check_draft": "Check the draft",
        "draft_note": "A draft is checked for this request only; nothing is written to the policies in use.",
        "diagnostics": "Diagnostics", "line": "line", "column": "column", "no_diagnostics": "No problem found",
        "diff_against": "Differences from the version in force", "no_difference": "No difference",
        "old": "Old version", "new": "New version", "compare": "Compare",
        "rev_hint": "a git revision (such as HEAD~1), or served for the policies in use",
        "change": "Change", "what": "What", "not_found": "Not found", "error": "Something went wrong",
        "internal": "Internal error; the request was not processed.", "csrf": "The form has expired; open the page again and resubmit.",
        "too_large": "What was sent is too large.", "bad_request": "Bad request", "rules": "Rules", "hint": "hint",
        "draft_errors": "The draft has errors, so it cannot be compared.", "language": "中文",
        "all_documents": "All documents", "missing": "missing facts", "deciding": "Deciding rules", "lang_code": "en",
        "back": "Back", "login": "Log in", "key": "Key", "login_failed": "That key is not valid.",
        "login_needed": "Log in with a key first.", "forbidden": "This key lacks the role needed", "logout": "Log out",
        "no_keys": "This service has no keys; no login is needed.",
        "logged": "Logged decisions that would change", "logged_checked": "logged decisions checked",
        "logged_none": "No logged decision would change", "decision_id": "Decision", "refused": "refused", "show": "Show",
        "csrf_kept": "The form had expired (the workbench may have been opened again elsewhere), so nothing was done; "
                     "what you typed is below: check it and submit again.",
        "rev_errors": "The rule files of {rev} have {n} error(s), listed below, so it cannot be compared.",
        "no_outcome": "No outcome is in force for this subject at this layer on this date",
        "on_disk": "Rule files on disk have been changed and are not in effect yet: they take effect when the service is restarted.",
        "on_disk_check": "Before restarting, check the changed files with “Check a draft”.", "on_disk_more": "and more: {n} files in all",
        "pasted_and_uploaded": "Both a pasted text and an uploaded file were sent, so nothing was checked: use one. The pasted "
                               "text is below; to check the uploaded file, empty the text box first.",
    },
}

# The engine's own names of things (rule kinds, severities, rule statuses, kinds of change), as the pages
# show them: the Chinese page says them in Chinese, the English page as the engine names them.
TAGS = {
    "zh": {
        "commissioner": "科技特派员", "enterprise": "企业", "workstation": "工作站", "jurisdiction": "层级",
        "eligibility": "条件", "obligation": "义务", "scoring": "评分", "entitlement": "待遇", "sanction": "处理",
        "target": "目标", "parameter": "参数", "definition": "定义", "rule": "规则", "document": "文件",
        "enum": "枚举", "fact": "事实", "output": "结论", "check": "检查警告", "in-force": "现行规定",
        "error": "错误", "warning": "警告", "info": "信息",
        "holds": "满足", "fails": "不满足", "unknown": "无法判断", "value": "取值", "pending": "待定", "replaced": "替代了",
        "not_applicable": "不适用", "not_checkable": "无法依事实核查",
        "added": "新增", "removed": "删除", "changed": "修改", "superseded": "被取代",
        "refused": "不能读取（指向文件夹之外的链接等）：重启会因此失败",
    },
    "en": {"refused": "cannot be read (a link leading out of the folder …): a restart will fail on it"},
}


def tag(lang: str, name: str) -> str:
    """One of the engine's names (``eligibility``, ``warning``, ``added`` …) in the page's language."""
    return TAGS.get(lang, {}).get(name, name)
