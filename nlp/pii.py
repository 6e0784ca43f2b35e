"""PII detection and redaction for Japanese feedback (architecture: redact before storing).

Regexes find emails, URLs, phones, postal codes, My Numbers and employee ids; UniDic
person-name tags plus honorific (さん/課長…), parenthesis and ``氏名:`` contexts find names.
"""

from __future__ import annotations

import bisect
import logging
import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache

from nlp.results import PiiSpan, PiiType
from nlp.tokenize import Token

__all__ = ["HONORIFICS", "PLACEHOLDERS", "detect_pii", "redact"]

logger = logging.getLogger(__name__)

PLACEHOLDERS: dict[PiiType, str] = {
    "name": "［氏名］",
    "email": "［メール］",
    "phone": "［電話番号］",
    "employee_id": "［社員番号］",
    "url": "［URL］",
    "postal_code": "［郵便番号］",
    "my_number": "［個人番号］",
    "custom": "［固有名］",
}

_Found = tuple[int, int, PiiType]
# On an overlap of equal length the more specific kind (lower rank) wins.
_RANK: dict[PiiType, int] = {
    "email": 0,
    "url": 1,
    "employee_id": 2,
    "postal_code": 3,
    "phone": 4,
    "my_number": 5,
    "custom": 6,
    "name": 7,
}

# --- number-like kinds ----------------------------------------------------------
_SEP = r"\-‐‑−–—―ー"  # hyphen-likes typed between digits (ー comes from a kana IME)
# Not inside a longer number: no digit, + or # right before, nor a digit and a separator
# (2024/03/…, 1.5, 12,090). A separator after a letter starts nothing: TEL.03…, センター0120….
_NOT_MID_NUMBER = rf"(?<![0-9+#])(?<![0-9][.,/{_SEP}])"
# A number right after 注文番号/伝票/品番… is not a phone or My Number, unless the
# same stretch also says 電話/TEL/マイナンバー (電話番号 ends in 番号 too).
_NEG_CONTEXT = re.compile(r"(?:注文|伝票|品番|型番|口座|追跡|シリアル|番号|No\.?|#)[^0-9]{0,4}$")
_POS_CONTEXT = re.compile(r"電話|TEL|Tel|tel|携帯|ケータイ|連絡|FAX|Fax|fax|マイナンバー|個人番号")
_DIGIT_RE = re.compile(r"[0-9]")
# A comment that talks about its My Number: any 12-digit number in it is one (番号は…).
_MY_NUMBER_HINT_RE = re.compile(r"マイナンバー|個人番号|[Mm]y ?[Nn]umber|MY ?NUMBER")
# Every phone, My Number and address-side postal code contains such a run; most
# comments with digits (2024年, 3日, 12,800円) have none, so the costlier patterns are skipped.
_NUMBER_RUN_RE = re.compile(rf"[0-9][0-9 (){_SEP}]{{5,}}[0-9]")
# Between a phone's digit groups: a space, a hyphen-like, or one with a space on each side.
_GAP = rf"(?: ?[{_SEP}] ?| )"
_PHONE_RE = re.compile(
    rf"{_NOT_MID_NUMBER}"
    rf"(?:\+81{_GAP}?(?:\(0\){_GAP}?)?[0-9]{{1,4}}|\(0[0-9]{{1,4}}\)|0[0-9]{{1,4}})"
    rf"(?:{_GAP}?\(?[0-9]{{1,4}}\)?){{0,2}}{_GAP}?[0-9]{{3,4}}(?![0-9]|[{_SEP}][0-9])"
)
_MY_NUMBER_RE = re.compile(
    rf"{_NOT_MID_NUMBER}[0-9]{{4}}([ {_SEP}]?)[0-9]{{4}}\1[0-9]{{4}}"
    rf"(?![0-9]|[{_SEP}][0-9]| [0-9]{{4}})"
)
# The span keeps 〒 (it is part of how the code is written) but not 郵便番号.
_POSTAL_MARKED_RE = re.compile(
    rf"(〒 ?|郵便番号 ?[:は]? ?)([0-9]{{3}}[{_SEP}]?[0-9]{{4}})(?![0-9])"
)
_POSTAL_ADDRESS_RE = re.compile(
    rf"{_NOT_MID_NUMBER}[0-9]{{3}}[{_SEP}][0-9]{{4}}(?![0-9]) ?"
    r"(?=北海道|東京都|(?:京都|大阪)府|[一-龥]{2,3}県|[一-龥]{1,5}[市区町村郡])"
)
_EMPLOYEE_MARKERS = ("番号", "ID", "No", "NO", "コード")
_EMPLOYEE_MARKER_RE = re.compile(
    r"(?:(?:社員|従業員|職員|スタッフ)(?:番号|ID|No\.?|NO\.?|コード)|ユーザー?ID|(?<![A-Za-z])(ID))"
    r" ?(:|#|=|は|番号)? ?([A-Za-z0-9][A-Za-z0-9_.\-]*[A-Za-z0-9])"
)
_COUNTERS = frozenset("年月日度歳才人名円件回時分個台")
_EMPLOYEE_PREFIXES = ("EMP", "EID", "STF", "STAFF", "USR", "EE")
_EMPLOYEE_CODE_RE = re.compile(
    r"(?<![A-Za-z0-9])(?:EMP|EMPL|EID|STF|STAFF|USR|EE)[-_]?[0-9]{3,10}(?![A-Za-z0-9])"
)

# --- email and url --------------------------------------------------------------
_EMAIL_RE = re.compile(
    r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,}"
)
_URL_CHARS = r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]"
_URL_RE = re.compile(rf"(?:[Hh][Tt][Tt][Pp][Ss]?://|www\.){_URL_CHARS}+")
# Bare domains need a known lowercase TLD: versions (1.2.3), files (a.pdf), ASP.NET stay out.
_DOMAIN_RE = re.compile(
    r"(?<![A-Za-z0-9@._\-/])(?:[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?\.)+"
    r"(?:com|net|org|info|biz|io|app|dev|jp|co|us|uk|tv|xyz|site|online|shop|tokyo|edu|gov"
    rf"|cn|kr|tw|de|fr)(?![A-Za-z0-9\-])(?::[0-9]{{2,5}})?(?:/{_URL_CHARS}*)?"
)

# --- names ------------------------------------------------------------------------
_PERSONAL = frozenset("さん さま 様 君 くん ちゃん 氏 殿 先生 先輩".split())
_TITLES_KANJI = frozenset(
    "課長 部長 係長 主任 社長 店長 室長 次長 局長 所長 工場長 支店長 支社長 本部長 副社長 "
    "副店長 副部長 副課長 課長代理 部長代理 課長補佐 店長代理 会長 専務 常務 取締役 監督 "
    "主査 主幹 班長 院長 園長 校長 教頭 教授 准教授 講師 医師 師長 事務長 施設長 料理長 "
    "支配人 部門長 代表 顧問 理事 理事長 議員 選手".split()
)
_TITLES_KATAKANA = frozenset(
    "リーダー サブリーダー マネージャー マネジャー チーフ トレーナー コーチ ディレクター "
    "プロデューサー".split()
)
_HONORIFICS = _PERSONAL | _TITLES_KANJI | _TITLES_KATAKANA
#: honorifics and titles that follow a name; they are not personal data themselves
HONORIFICS: frozenset[str] = _HONORIFICS
_HONORIFIC_RE = re.compile("|".join(sorted(_HONORIFICS, key=len, reverse=True)))
# A place name before these is a surname (千葉課長); before 代表/選手 it is a team.
_PLACE_TITLES = _PERSONAL | frozenset(
    "課長 部長 係長 主任 社長 店長 室長 次長 局長 所長 班長 課長代理 部長代理 料理長".split()
)
_MARKER_RE = re.compile(
    r"(?:注文者|担当者|氏名|お名前|名前|担当|記入者|回答者|申請者|報告者|依頼者|依頼主|作成者"
    r"|差出人|送信者|受取人|宛名) ?: ?"
)
_PAREN_RE = re.compile(r"\( ?([^()\n ][^()\n]{0,14}?) ?\)")
_CJK_EXT = "\u3400-\u4dbf\uf900-\ufaff\U00020000-\U0003134f"  # rare and variant kanji
_KANJI_NAME_RE = re.compile(f"^[\u4e00-\u9fff{_CJK_EXT}々〆ヶ]{{2,4}}$")
_CJK_EXT_RE = re.compile(f"^[{_CJK_EXT}]+$")
_HAS_KANJI_RE = re.compile(f"[\u4e00-\u9fff{_CJK_EXT}々]")
_ASCII_NAME_RE = re.compile(r"^[A-Z][a-z]{1,15}$")
# Last kanji of most surnames; common nouns before さん (店員, 上司, 派遣) rarely end in one.
_SURNAME_FINAL = frozenset(
    "田藤山川木野村本井原島嶋崎﨑埼橋沢澤谷林森池松岡宮浦辺邊邉坂内口尾瀬江元地上下中西"
    "東北塚畑丸城里間門戸竹杉堀岸沼浜濱濵鳥石岩垣倉寺宅形海葉津淵渕端條条根羽"
)
_COMMON_NOUNS = frozenset(
    "部下 年下 年上 目上 目下 以下 以上 上下 大家 地元 現地 土地 団地 本山 海外 国内 "
    "未定 不明 匿名 無記名 本人 自分 田舎 部門 専門 窓口 配下 傘下 廊下 各地 "
    "社内 店内 部内 課内 院内 室内 署内 館内 庁内 構内".split()
)
_REGIONS = frozenset(
    "日本 東京 大阪 京都 名古屋 横浜 札幌 関東 関西 九州 東北 北海道 中部 四国 中国 近畿 "
    "北陸 沖縄 本州 全国 海外 国内 韓国 米国 英国 台湾 香港 上海 北京 欧州".split()
)
# Tagged 人名 by UniDic but in feedback usually a brand, a character or an animal.
_NOT_PEOPLE = frozenset(
    "ローソン ディズニー マリオ ゼルダ ホンダ マツモト キヨシ どん兵衛 仲居 役所 うさぎ ゾウ "
    "Google Amazon Apple Microsoft Yahoo Slack Zoom Teams Uber".split()
)
_NAME_SUFFIXES = frozenset("達 たち ら 等 宛 宛て 家 側".split())
_ORG_FINAL = frozenset("部課室係班店社所局署院校園場館")
_COMPANY_BEFORE = ("会社", "(株)", "(有)", "法人")
_NAME_GAPS = ("", " ")


def detect_pii(text: str, tokens: Sequence[Token], terms: Sequence[str] = ()) -> list[PiiSpan]:
    """Find personal information in NFKC-normalised ``text`` tokenised as ``tokens``.

    Args:
        text: The normalised comment.
        tokens: Its tokens (offsets into ``text``).
        terms: Extra words to redact wherever they occur (department or site names);
            ASCII letters match in any case.

    Returns:
        Non-overlapping spans sorted by start; on overlap the longer (then the more
        specific) span is kept.

    Example:
        >>> from nlp.tokenize import tokenize
        >>> s = "山田さんに090-1234-5678へ電話してと言われた"
        >>> [(p.type, s[p.start:p.end]) for p in detect_pii(s, tokenize(s))]
        [('name', '山田'), ('phone', '090-1234-5678')]
    """
    found: list[_Found] = []
    if "@" in text:
        found += [(m.start(), m.end(), "email") for m in _EMAIL_RE.finditer(text)]
    if "." in text:
        found += _find_urls(text)
    if _DIGIT_RE.search(text):
        found += _find_numbers(text)
    found += _find_employee_ids(text)
    if terms:
        found += _find_terms(text, tuple(terms))
    found += _find_names(text, tokens)
    return _resolve(found)


def redact(text: str, spans: Sequence[PiiSpan]) -> str:
    """Replace every span of ``text`` with its typed placeholder (``［氏名］``…).

    Overlapping spans are merged, so no covered character survives.

    Raises:
        ValueError: A span lies outside ``text`` or ends before it starts.

    Example:
        >>> redact("田中さんに連絡", [PiiSpan("name", 0, 2)])
        '［氏名］さんに連絡'
    """
    parts: list[str] = []
    cursor = 0
    for span in sorted(spans, key=lambda s: (s.start, -s.end)):
        if not 0 <= span.start <= span.end <= len(text):
            raise ValueError(f"PII span {span} outside text of length {len(text)}")
        if span.end <= cursor or span.start == span.end:
            continue  # empty, or already inside the previous placeholder
        if span.start >= cursor:
            parts += (text[cursor : span.start], PLACEHOLDERS[span.type])
        cursor = span.end
    parts.append(text[cursor:])
    return "".join(parts)


def _find_urls(text: str) -> list[_Found]:
    out: list[_Found] = []
    for regex in (_URL_RE, _DOMAIN_RE):
        for m in regex.finditer(text):
            start, end = m.span()
            # Drop sentence punctuation and a ")" that closes a bracket around the URL.
            while end > start and text[end - 1] in ".,;:!?'])(":
                closes = text.count(")", start, end)
                if text[end - 1] == ")" and text.count("(", start, end) >= closes:
                    break
                end -= 1
            if end - start > 4:
                out.append((start, end, "url"))
    return out


def _find_numbers(text: str) -> list[_Found]:
    out: list[_Found] = []
    if "〒" in text or "郵便番号" in text:
        for m in _POSTAL_MARKED_RE.finditer(text):
            out.append((m.start() if m.group(1)[0] == "〒" else m.start(2), m.end(), "postal_code"))
    if _NUMBER_RUN_RE.search(text) is None:
        return out
    phone = _PHONE_RE.search(text)
    while phone:
        start, raw = phone.start(), _phone_prefix(phone.group())
        # A grouped 090-1234-5678 is a phone even after 番号, and so is a bare mobile
        # number (11 digits); a bare 0312345678 after 注文番号 or 伝票 may not be.
        if raw and not (raw.isdigit() and len(raw) == 10 and _negative_context(text, start)):
            out.append((start, start + len(raw), "phone"))
        # Rescan after the phone found, not after the match: "03-1234-5678 090…" is two.
        phone = _PHONE_RE.search(text, start + max(len(raw), 1))
    hinted = _MY_NUMBER_HINT_RE.search(text) is not None
    for m in _MY_NUMBER_RE.finditer(text):
        if hinted or not _negative_context(text, m.start()):
            out.append((m.start(), m.end(), "my_number"))
    out += [(m.start(), m.start() + 8, "postal_code") for m in _POSTAL_ADDRESS_RE.finditer(text)]
    return out


def _phone_prefix(raw: str) -> str:
    """The longest valid phone at the start of ``raw`` (090-1234-5678 in "…5678 2024")."""
    for cut in range(len(raw), 0, -1):
        if raw[cut - 1].isdigit() and (cut == len(raw) or not raw[cut].isdigit()):
            if _is_phone(raw[:cut]):
                return raw[:cut]
    return ""


def _is_phone(raw: str) -> bool:
    """Japanese numbering plan: 10 digits (landline, 0120, 0570) or 11 (070/080/090/050)."""
    digits = "".join(ch for ch in raw if "0" <= ch <= "9")
    if raw.startswith("+81"):
        digits = digits[2:] if digits[2:3] == "0" else "0" + digits[2:]
    if not digits.startswith("0") or digits[1:2] == "0":
        return False
    mobile = digits[:3] in ("070", "080", "090", "050", "020") or digits.startswith("0800")
    if len(digits) == 11:
        return mobile
    groups = [g for g in re.split(r"[^0-9]+", raw) if g]
    return len(digits) == 10 and not mobile and (len(groups) == 1 or len(groups[-1]) >= 3)


def _negative_context(text: str, start: int) -> bool:
    before = text[max(0, start - 12) : start]
    return bool(_NEG_CONTEXT.search(before)) and not _POS_CONTEXT.search(before)


def _find_employee_ids(text: str) -> list[_Found]:
    out: list[_Found] = []
    if any(marker in text for marker in _EMPLOYEE_MARKERS):
        for m in _EMPLOYEE_MARKER_RE.finditer(text):
            value = m.group(3)
            if len(value) < 3 or (m.group(1) and not m.group(2) and not _DIGIT_RE.search(value)):
                continue  # "ID abc" without a colon is English, not an id
            if value.isdigit() and text[m.end(3) : m.end(3) + 1] in _COUNTERS:
                continue  # ID 2024年度, 番号 3件: a year or a count, not an id
            out.append((m.start(3), m.end(3), "employee_id"))
    if any(prefix in text for prefix in _EMPLOYEE_PREFIXES):
        out += [(m.start(), m.end(), "employee_id") for m in _EMPLOYEE_CODE_RE.finditer(text)]
    return out


@lru_cache(maxsize=256)
def _terms_regex(terms: tuple[str, ...]) -> re.Pattern[str] | None:
    parts: list[str] = []
    cleaned = {" ".join(unicodedata.normalize("NFKC", t).split()) for t in terms}
    for term in sorted(filter(None, cleaned), key=len, reverse=True):
        # An ASCII term is a whole word: "IT" must not hit "ITEM".
        head = r"(?<![A-Za-z0-9])" if term[0].isascii() and term[0].isalnum() else ""
        tail = r"(?![A-Za-z0-9])" if term[-1].isascii() and term[-1].isalnum() else ""
        parts.append(head + re.escape(term) + tail)
    return re.compile("|".join(parts), re.IGNORECASE | re.ASCII) if parts else None


def _find_terms(text: str, terms: tuple[str, ...]) -> list[_Found]:
    regex = _terms_regex(terms)
    return [(m.start(), m.end(), "custom") for m in regex.finditer(text)] if regex else []


def _find_names(text: str, tokens: Sequence[Token]) -> list[_Found]:
    has_person = any(t.pos3 == "人名" for t in tokens)
    honorifics = list(_HONORIFIC_RE.finditer(text))
    if not (has_person or honorifics or "(" in text or ":" in text):
        return []
    starts = [t.start for t in tokens]
    spans: list[tuple[int, int] | None] = []
    for m in honorifics:
        spans.append(_name_before_honorific(text, tokens, starts, m))
    if has_person:
        spans += _bare_person_names(text, tokens)
    if "(" in text:
        spans += [_name_in_parentheses(tokens, starts, m) for m in _PAREN_RE.finditer(text)]
    if ":" in text:
        spans += [_name_after_marker(text, tokens, starts, m) for m in _MARKER_RE.finditer(text)]
    return [(span[0], span[1], "name") for span in spans if span is not None]


def _name_before_honorific(
    text: str, tokens: Sequence[Token], starts: list[int], m: re.Match[str]
) -> tuple[int, int] | None:
    j = bisect.bisect_left(starts, m.start())
    if j == 0 or j >= len(tokens) or starts[j] != m.start():
        return None
    k = j
    while k < len(tokens) and tokens[k].end < m.end():
        k += 1
    if k == len(tokens) or tokens[k].end != m.end():
        return None  # 様子, さんま: the honorific is only the start of a longer word
    i = j - 1
    if text[tokens[i].end : m.start()] not in _NAME_GAPS:
        return None
    tok = tokens[i]
    if _is_person(tok):
        start = tokens[_run_start(text, tokens, i)].start
        if tok.surface in _NOT_PEOPLE or text[:start].endswith(_COMPANY_BEFORE):
            return None
        return start, tok.end
    start = tok.start
    if i > 0 and tokens[i - 1].end == start:
        if _CJK_EXT_RE.match(tokens[i - 1].surface):
            start = tokens[i - 1].start  # 𠮷野: MeCab splits off the non-BMP kanji
        elif tokens[i - 1].pos1 in ("接頭辞", "名詞"):
            return None  # お客, ご主人, 営業部: part of a longer common noun
    if tok.pos3 == "地名":
        ok = m.group() in _PLACE_TITLES and bool(_KANJI_NAME_RE.match(tok.surface))
        ok = ok and tok.surface not in _REGIONS
    elif tok.pos1 == "名詞" and tok.pos2 == "普通名詞":
        ok = _kanji_name_like(text[start : tok.end]) or (
            m.group() in _PERSONAL
            and bool(_ASCII_NAME_RE.match(tok.surface))
            and tok.surface not in _NOT_PEOPLE
        )
    else:
        ok = False  # katakana 普通名詞 (パート, ドライバー) and organisations (トヨタ)
    return (start, tok.end) if ok else None


def _kanji_name_like(surface: str) -> bool:
    """A kanji word UniDic does not know as a name but that looks like one (髙橋, 濵田)."""
    return (
        bool(_KANJI_NAME_RE.match(surface))
        and surface[-1] in _SURNAME_FINAL
        and surface not in _COMMON_NOUNS
    )


def _is_person(tok: Token) -> bool:
    return tok.pos2 == "固有名詞" and tok.pos3 == "人名"


def _linked(text: str, tokens: Sequence[Token], i: int, step: int) -> int | None:
    """Index of the word beside ``tokens[i]`` (``step`` ±1): touching, via ・, or a space."""
    k = i + step
    if not 0 <= k < len(tokens):
        return None
    left, right = (tokens[i], tokens[k]) if step > 0 else (tokens[k], tokens[i])
    gap = text[left.end : right.start]
    if gap == " " and _is_person(tokens[k]):
        return k
    if gap:
        return None
    if tokens[k].surface != "・":
        return k
    after = _linked(text, tokens, k, step)
    return after if after is not None and tokens[after].surface != "・" else None


def _run_start(text: str, tokens: Sequence[Token], i: int) -> int:
    prev = _linked(text, tokens, i, -1)
    while prev is not None and _is_person(tokens[prev]):
        i, prev = prev, _linked(text, tokens, prev, -1)
    return i


def _bare_person_names(text: str, tokens: Sequence[Token]) -> list[tuple[int, int] | None]:
    out: list[tuple[int, int] | None] = []
    i = 0
    while i < len(tokens):
        if not _is_person(tokens[i]):
            i += 1
            continue
        j, nxt = i, _linked(text, tokens, i, 1)
        while (
            nxt is not None
            and _is_person(tokens[nxt])
            and tokens[nxt].surface not in (_NAME_SUFFIXES)
        ):
            j, nxt = nxt, _linked(text, tokens, nxt, 1)
        if _bare_run_ok(text, tokens, i, j, nxt):
            out.append((tokens[i].start, tokens[j].end))
        i = j + 1
    return out


def _bare_run_ok(text: str, tokens: Sequence[Token], i: int, j: int, nxt: int | None) -> bool:
    """Whether a 人名 run with no honorific is a name, not part of a compound."""
    start, end = tokens[i].start, tokens[j].end
    if end - start < 2 or any(tokens[k].surface in _NOT_PEOPLE for k in range(i, j + 1)):
        return False  # 金・銀, 太麺: one-kanji "names" are mostly common words
    if text[start - 1 : start] == "(" and text[end : end + 1] == ")":
        return tokens[i].surface not in _REGIONS
    if i == j and not _HAS_KANJI_RE.search(tokens[i].surface):
        return False  # リスト, けん: kana words UniDic also knows as given names
    if nxt is not None and text[end : tokens[nxt].start] != " ":
        after = tokens[nxt]
        if after.pos1 in ("名詞", "接頭辞") or (
            after.pos1 == "接尾辞" and after.surface not in _NAME_SUFFIXES
        ):
            return False  # 豊田通商, 伊藤園, ザ・ノース・フェイス
    prev = _linked(text, tokens, i, -1)
    if prev is not None and text[tokens[prev].end : start] != " ":
        if tokens[prev].pos1 in ("名詞", "接頭辞"):
            return False  # 株式会社アーデン, オー・エル・エム
    return not text[:start].endswith(_COMPANY_BEFORE)


def _name_in_parentheses(
    tokens: Sequence[Token], starts: list[int], m: re.Match[str]
) -> tuple[int, int] | None:
    """A signature like 「(山本)」; weekdays (金), regions (上海) and (株) are not names."""
    start, end = m.span(1)
    inner = tokens[bisect.bisect_left(starts, start) : bisect.bisect_left(starts, end)]
    if not inner or inner[0].start != start or inner[-1].end != end or end - start < 2:
        return None
    if inner[0].surface in _REGIONS:
        return None
    if all(_is_person(t) or _kanji_name_like(t.surface) for t in inner):
        return start, end
    return None


def _name_after_marker(
    text: str, tokens: Sequence[Token], starts: list[int], m: re.Match[str]
) -> tuple[int, int] | None:
    """The nouns after 氏名:/担当者:…, minus a leading department (営業部 田中)."""
    k = bisect.bisect_left(starts, m.end())
    run: list[Token] = []
    while k < len(tokens) and len(run) < 5 and _marker_token_ok(tokens[k]):
        if text[(run[-1].end if run else m.end()) : tokens[k].start] not in _NAME_GAPS:
            break
        run.append(tokens[k])
        k += 1
    cut = max((n + 1 for n, t in enumerate(run) if t.surface[-1] in _ORG_FINAL), default=0)
    run = run[cut:]
    if run and (
        any(_is_person(t) for t in run) or _kanji_name_like("".join(t.surface for t in run))
    ):
        return run[0].start, run[-1].end
    return None


def _marker_token_ok(tok: Token) -> bool:
    return (
        tok.pos1 == "名詞" and tok.pos2 not in ("代名詞", "数詞") and tok.surface not in _HONORIFICS
    )


def _resolve(found: list[_Found]) -> list[PiiSpan]:
    kept: list[_Found] = []
    for cand in sorted(set(found), key=lambda c: (c[0] - c[1], _RANK[c[2]], c[0])):
        if all(cand[1] <= k[0] or k[1] <= cand[0] for k in kept):
            kept.append(cand)
    kept.sort()
    return [PiiSpan(kind, start, end) for start, end, kind in kept]
