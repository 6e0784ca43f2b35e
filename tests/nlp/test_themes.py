import pytest
from pydantic import ValidationError

pytest.importorskip("fugashi")

from nlp.errors import PackError, UnknownPackError  # noqa: E402
from nlp.text import normalize  # noqa: E402
from nlp.themes import (  # noqa: E402
    MAX_GAP,
    ThemeMatch,
    ThemeMatcher,
    ThemePack,
    available_packs,
    load_pack,
)
from nlp.tokenize import tokenize  # noqa: E402

# Theme ids in the order of shared/design/taxonomy.md.
# fmt: off
TAXONOMY = {
    "employee": [
        "psychological_safety", "fairness", "transparency", "autonomy", "growth",
        "relationships", "communication", "recognition", "workload", "leadership",
        "compensation", "vision", "survey_followup", "harassment", "work_environment",
    ],
    "customer": [
        "support", "product_quality", "price_value", "usability", "personalization",
        "communication_frequency", "community", "rewards", "delivery",
    ],
}
# fmt: on


@pytest.fixture(scope="module")
def matchers():
    return {name: ThemeMatcher(load_pack(name)) for name in available_packs()}


def _match(matcher, text):
    norm = normalize(text).text
    return norm, matcher.match(tokenize(norm))


def _themes(matcher, text):
    return {m.theme_id for m in _match(matcher, text)[1]}


def _pack(*themes):
    """A small in-memory pack: themes are (id, cues) or (id, cues, exclude)."""
    return ThemePack.model_validate(
        {
            "id": "test",
            "version": 1,
            "label": {"ja": "テスト", "en": "Test"},
            "themes": [
                {
                    "id": t[0],
                    "label": {"ja": t[0], "en": t[0]},
                    "cues": t[1],
                    "exclude": t[2] if len(t) > 2 else [],
                }
                for t in themes
            ],
        }
    )


# --- loading -----------------------------------------------------------------------


def test_themes_available_packs():
    assert available_packs() == ["customer", "employee"]


@pytest.mark.parametrize("name", ["employee", "customer"])
def test_themes_builtin_pack_loads_once(name):
    pack = load_pack(name)
    assert pack.id == name
    assert pack.version >= 1
    assert load_pack(name) is pack


@pytest.mark.parametrize("name", ["employee", "customer"])
def test_themes_pack_has_exactly_the_taxonomy_themes(name):
    assert list(load_pack(name).theme_ids) == TAXONOMY[name]


def test_themes_pack_theme_lookup():
    pack = load_pack("employee")
    assert pack.theme("workload").label.ja == "業務量・働き方"
    with pytest.raises(KeyError):
        pack.theme("delivery")


@pytest.mark.parametrize("name", ["nope", "Employee", "", "missing.yaml", "packs/employee.yml"])
def test_themes_unknown_pack_lists_the_packs(name):
    with pytest.raises(UnknownPackError) as info:
        load_pack(name)
    assert isinstance(info.value, KeyError)
    assert info.value.code == "unknown_pack"
    assert "customer, employee" in str(info.value)
    if name.endswith((".yaml", ".yml")):
        assert f"theme pack file {name!r} does not exist" in str(info.value)


USER_PACK = """\
id: hotel
version: 2
label: {ja: ホテル, en: Hotel}
themes:
  - id: cleanliness
    label: {ja: 清潔さ, en: Cleanliness}
    cues: [清潔, 汚い, 掃除 … 行き届く]
    examples:
      - {text: 部屋が清潔だった, polarity: positive}
  - id: breakfast
    label: {ja: 朝食, en: Breakfast}
    cues: [朝食, バイキング]
"""


@pytest.mark.parametrize("suffix", [".yaml", ".yml"])
def test_themes_user_pack_file_loads(tmp_path, suffix):
    path = tmp_path / f"hotel{suffix}"
    path.write_text(USER_PACK, encoding="utf-8")
    pack = load_pack(str(path))
    assert (pack.id, pack.version, pack.theme_ids) == ("hotel", 2, ("cleanliness", "breakfast"))
    assert pack.theme("breakfast").description is None
    matcher = ThemeMatcher(pack)
    assert _themes(matcher, "朝食のバイキングが豪華で、掃除も行き届いていた") == {
        "breakfast",
        "cleanliness",
    }


# fmt: off
MALFORMED = [
    # file content, part of the message
    ("id: [unclosed\n",                                        "invalid YAML"),
    ("- just\n- a list\n",                                     "expected a mapping"),
    ("",                                                       "expected a mapping"),
    (USER_PACK.replace("[朝食, バイキング]", "[朝食、バイキング]"),   "one expression"),
    (USER_PACK.replace("themes:", "version: 3\nthemes:"),      "'version' written twice"),
    (USER_PACK.replace("version: 2", "version: zero"),         "version"),
    (USER_PACK.replace("id: hotel", "id: Hotel"),              "pattern"),
    (USER_PACK.replace("id: breakfast", "id: cleanliness"),    "duplicate theme ids: cleanliness"),
    (USER_PACK.replace("[朝食, バイキング]", "[]"),              "at least 1 item"),
    (USER_PACK.replace("[朝食, バイキング]", "[朝食, 朝食]"),      "duplicate expressions: 朝食"),
    (USER_PACK.replace("[朝食, バイキング]", "[朝食, ' ']"),      "must not be empty"),
    (USER_PACK.replace("polarity: positive", "polarity: good"), "polarity"),
    (USER_PACK + "colour: blue\n",                             "Extra inputs are not permitted"),
]
# fmt: on


@pytest.mark.parametrize(("content", "message"), MALFORMED)
def test_themes_malformed_user_pack_is_a_pack_error(tmp_path, content, message):
    path = tmp_path / "broken.yaml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(PackError) as info:
        load_pack(str(path))
    assert info.value.code == "invalid_pack"
    assert "broken.yaml" in str(info.value)
    assert message in str(info.value)


def test_themes_user_pack_not_utf8_is_a_pack_error(tmp_path):
    path = tmp_path / "sjis.yaml"
    path.write_bytes(USER_PACK.encode("cp932"))
    with pytest.raises(PackError, match="sjis.yaml: save it as UTF-8"):
        load_pack(str(path))


def test_themes_pack_errors_are_one_line_and_alert_reasons_are_checked(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(USER_PACK.replace("[朝食, バイキング]", "[朝食]\n    raises_alert: harasment"))
    with pytest.raises(PackError) as info:
        load_pack(str(path))
    message = str(info.value)
    assert "\n" not in message and "errors.pydantic.dev" not in message
    assert "raises_alert: Input should be 'harassment'" in message
    assert "at least 1 item" not in message  # no echo of the theme's error on the list


def test_themes_alert_reasons_of_packs_are_those_of_the_alert_cues():
    from typing import get_args

    from nlp.alerts import REASON_LABELS, load_alert_cues
    from nlp.themes.pack import AlertReason

    reasons = set(get_args(AlertReason))
    assert reasons == set(load_alert_cues().cues) == set(REASON_LABELS) - {"model"}


def test_themes_pack_models_are_frozen():
    pack = load_pack("customer")
    with pytest.raises(ValidationError):
        pack.id = "other"  # type: ignore[misc]


def test_themes_cue_without_content_words_is_a_pack_error():
    with pytest.raises(PackError, match=r"test/a: cue 'を' has a part without words"):
        ThemeMatcher(_pack(("a", ["会議", "を"])))
    with pytest.raises(PackError, match=r"cue '会議 … …' has a part without words"):
        ThemeMatcher(_pack(("a", ["会議 … …"])))
    with pytest.raises(PackError, match="exclude expression"):
        ThemeMatcher(_pack(("a", ["会議"], ["会議 … 。"])))


# --- the built-in packs' data --------------------------------------------------------

EXAMPLES = [
    (pack, theme.id, example.text)
    for pack in ("employee", "customer")
    for theme in load_pack(pack).themes
    for example in theme.examples
]


@pytest.mark.parametrize(("pack", "theme_id", "text"), EXAMPLES)
def test_themes_builtin_examples_match_their_theme(matchers, pack, theme_id, text):
    assert theme_id in _themes(matchers[pack], text)


@pytest.mark.parametrize("name", ["employee", "customer"])
def test_themes_builtin_cues_match_their_own_theme(matchers, name):
    # A cue that no text can reach (shadowed by a longer cue of another theme) is dead data.
    unreachable = [
        (theme.id, cue)
        for theme in load_pack(name).themes
        for cue in theme.cues
        if theme.id not in _themes(matchers[name], "、".join(cue.split("…")))
    ]
    assert unreachable == []


@pytest.mark.parametrize("name", ["employee", "customer"])
def test_themes_builtin_packs_are_tidy(name):
    for theme in load_pack(name).themes:
        assert 40 <= len(theme.cues) <= 120, theme.id
        assert list(theme.cues) == sorted(theme.cues), theme.id
        assert list(theme.exclude) == sorted(theme.exclude), theme.id
        assert 3 <= len(theme.examples) <= 6, theme.id
        assert theme.description is not None, theme.id


# --- matching ------------------------------------------------------------------------

# fmt: off
LONGEST = [
    # pack, text, [(theme_id, matched text), ...] in order
    ("employee", "残業代が出ない",           [("compensation", "残業代")]),
    ("employee", "残業が多い",               [("workload", "残業")]),
    ("employee", "サービス残業が当たり前",    [("workload", "サービス残業")]),
    ("employee", "給料は良いが残業が多い",    [("compensation", "給料"), ("workload", "残業")]),
    ("employee", "心理的安全性が低い",        [("psychological_safety", "心理的安全性")]),
    ("employee", "会議室が足りない",          [("work_environment", "会議室")]),
    ("employee", "師長が厳しすぎる",          [("leadership", "師長")]),
    ("employee", "休日も呼び出される",        [("workload", "休日")]),
    ("customer", "施術が雑だった",            [("product_quality", "施術")]),
    ("customer", "料理がぬるかった",          [("product_quality", "料理")]),
    ("employee", "会議が長い",               [("communication", "会議")]),
    ("employee", "評価面談が形だけ",          [("fairness", "評価面談")]),
    ("employee", "意見を無視される",          [("psychological_safety", "意見を無視")]),
    ("employee", "挨拶を無視される",          [("relationships", "挨拶"), ("harassment", "無視")]),
    ("customer", "ポイント交換が面倒",        [("rewards", "ポイント交換"), ("usability", "面倒")]),
    ("customer", "アプリがすぐ落ちる",        [("product_quality", "アプリがすぐ落ちる")]),
]
# fmt: on


@pytest.mark.parametrize(("pack", "text", "expected"), LONGEST)
def test_themes_longest_match_wins_over_other_themes(matchers, pack, text, expected):
    norm, found = _match(matchers[pack], text)
    assert [(m.theme_id, norm[m.start : m.end]) for m in found] == expected


def test_themes_equal_spans_keep_every_theme():
    matcher = ThemeMatcher(_pack(("meetings", ["会議"]), ("time", ["会議", "長い"])))
    assert matcher.match(tokenize("会議が長い")) == [
        ThemeMatch("meetings", 0, 2, "会議"),
        ThemeMatch("time", 0, 2, "会議"),
        ThemeMatch("time", 3, 5, "長い"),
    ]


def test_themes_one_theme_is_reported_once_per_stretch():
    matcher = ThemeMatcher(_pack(("overtime", ["残業", "残業時間", "時間"])))
    assert matcher.match(tokenize("残業時間が長い")) == [ThemeMatch("overtime", 0, 4, "残業時間")]
    matcher = ThemeMatcher(_pack(("voice", ["意見 … 言う", "言いにくい", "本音"])))
    assert matcher.match(tokenize("意見を言いにくい。本音")) == [
        ThemeMatch("voice", 0, 8, "言いにくい"),
        ThemeMatch("voice", 9, 11, "本音"),
    ]


# fmt: off
GAPS = [
    # text, matched text or None
    ("意見を言う",                       "意見を言う"),
    ("意見が言えない",                   "意見が言え"),
    ("意見を自由に言える",               "意見を自由に言える"),
    ("意見はなかなか上司に言えない",     "意見はなかなか上司に言え"),
    ("意見を聞いてもらえる",             None),
    ("意見、あの、その、ええと、まあ、言う", "意見、あの、その、ええと、まあ、言う"),
    ("意見。言う",                       None),
    ("言う意見",                         None),
    ("意見",                             None),
    ("",                                 None),
]
# fmt: on


@pytest.mark.parametrize(("text", "expected"), GAPS)
def test_themes_gap_cues(text, expected):
    matcher = ThemeMatcher(_pack(("voice", ["意見 … 言う"])))
    found = matcher.match(tokenize(text))
    assert [text[m.start : m.end] for m in found] == ([expected] if expected else [])


def test_themes_gap_is_at_most_max_gap_content_words():
    matcher = ThemeMatcher(_pack(("voice", ["意見 … 言う"])))
    filler = "、".join(["会議"] * MAX_GAP)
    assert len(matcher.match(tokenize(f"意見、{filler}、言う"))) == 1
    assert matcher.match(tokenize(f"意見、{filler}、会議、言う")) == []


def test_themes_exclude_drops_overlapping_cue_only():
    matcher = ThemeMatcher(_pack(("price", ["高い", "値段"], ["品質 … 高い"])))
    assert [m.cue for m in matcher.match(tokenize("品質が高い"))] == []
    assert [m.cue for m in matcher.match(tokenize("品質の割に値段が高い"))] == ["値段"]
    assert [m.cue for m in matcher.match(tokenize("値段が高い"))] == ["値段", "高い"]


# fmt: off
BUILTIN = [
    # pack, text, themes expected, themes not expected
    ("employee", "お問い合わせ窓口",              set(),                     {"communication"}),
    ("employee", "感謝されることが少ない",        {"recognition"},           set()),
    ("employee", "皆さんに感謝しています",        set(),                     {"recognition"}),
    ("employee", "意見を聞いてくれる",            {"psychological_safety"},  set()),
    ("employee", "会社の成長を感じる",            set(),                     {"growth"}),
    ("employee", "自分の成長を感じる",            {"growth"},                set()),
    ("employee", "言い方がきつい",                set(),                     {"workload"}),
    ("employee", "仕事がきつい",                  {"workload"},              set()),
    ("employee", "1on1が形だけ",                  {"communication"},         set()),
    ("employee", "１ｏｎ１が形だけ",              {"communication"},         set()),
    ("employee", "ＰＣが遅い",                    {"work_environment"},      set()),
    ("employee", "pcが遅い",                      {"work_environment"},      set()),
    ("employee", "ﾊﾟﾜﾊﾗ上司",                     {"harassment", "leadership"}, set()),
    ("employee", "ｻｰﾋﾞｽ残業ばかり😭",             {"workload"},              set()),
    ("employee", "残業〜〜多すぎ〜",              {"workload"},              set()),
    ("customer", "お問い合わせへの回答が早い",    {"support"},               set()),
    ("customer", "コスパが良い",                  {"price_value"},           set()),
    ("customer", "コスパ最強",                    {"price_value"},           set()),
    ("customer", "品質が高い",                    {"product_quality"},       {"price_value"}),
    ("customer", "梱包が丁寧",                    {"delivery"},              {"support"}),
    ("customer", "友達にもおすすめしたい",        set(),                     {"personalization"}),
    ("customer", "おすすめ商品が的外れ",          {"personalization"},       set()),
    ("customer", "メールで届いた",                set(),                     {"delivery"}),
]
# fmt: on


@pytest.mark.parametrize(("pack", "text", "present", "absent"), BUILTIN)
def test_themes_builtin_matching(matchers, pack, text, present, absent):
    themes = _themes(matchers[pack], text)
    assert present <= themes
    assert not absent & themes


# fmt: off
NOTHING = ["", "   ", "😀", "😀😀😀👍", "ｗｗｗ", "〜", "特になし", "特にありません。",
           "よろしくお願いします", "ありがとうございました", "満足しています", "!?"]
# fmt: on


@pytest.mark.parametrize("text", NOTHING)
@pytest.mark.parametrize("pack", ["employee", "customer"])
def test_themes_no_theme_in_empty_or_generic_text(matchers, pack, text):
    assert _match(matchers[pack], text)[1] == []


def test_themes_empty_token_list(matchers):
    assert matchers["employee"].match([]) == []


def test_themes_offsets_are_token_offsets_sorted_by_start(matchers):
    text = "上司は話を聞いてくれるが、残業が多すぎて有給もほとんど取れない。給料も安い。"
    norm, found = _match(matchers["employee"], text)
    assert [m.start for m in found] == sorted(m.start for m in found)
    assert [(m.theme_id, norm[m.start : m.end]) for m in found] == [
        ("leadership", "上司"),
        ("communication", "話を聞い"),
        ("workload", "残業"),
        ("workload", "有給"),
        ("compensation", "給料"),
    ]


def test_themes_offsets_follow_the_tokens_offset(matchers):
    tokens = tokenize("残業が多い", offset=10)
    assert matchers["employee"].match(tokens) == [ThemeMatch("workload", 10, 12, "残業")]
