import json
from pathlib import Path

from typer.testing import CliRunner

from service.cli import app

runner = CliRunner()


def _result(i: int, dept: str, *, alert: bool = False, error: bool = False) -> dict[str, object]:
    return {
        "id": f"{dept}-{i}",
        "pack": "employee",
        "sentiment": None if error else "negative",
        "themes": [] if error else [{"id": "workload", "polarity": "negative", "evidence": []}],
        "alert": {"flag": alert, "reasons": ["harassment"] if alert else [], "evidence": []},
        "text_redacted": f"{dept}の{i}件目、上司に怒鳴られた" if alert else "残業が多い",
        "error": {"code": "empty_text", "message": "x"} if error else None,
        "dept": dept,
    }


def _write(tmp_path: Path, rows: list[dict[str, object]]) -> str:
    path = tmp_path / "out.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    return str(path)


def test_summary_does_not_quote_alerts_of_hidden_groups(tmp_path: Path) -> None:
    rows = [_result(i, "営業", alert=i == 0) for i in range(7)]
    rows += [_result(i, "開発", alert=i == 0) for i in range(6)]  # hidden as complement
    rows += [_result(0, "法務", alert=True), _result(1, "法務"), _result(2, "法務", error=True)]
    result = runner.invoke(app, ["summary", _write(tmp_path, rows), "--group-column", "dept"])
    assert result.exit_code == 0, result.output
    assert "営業の0件目" in result.output and "ハラスメント / harassment" in result.output
    assert "業務量・働き方 / Workload" in result.output  # theme labels in both languages
    for hidden in ("法務の0件目", "法務-0", "開発の0件目"):
        assert hidden not in result.output
    assert "2 alert(s) in hidden groups (of this or another" in result.output
    assert "15 comments (1 not analysed" in result.output


def test_summary_by_another_column_does_not_quote_alerts_of_hidden_groups(
    tmp_path: Path,
) -> None:
    rows = [{**_result(i, dept, alert=i == 0), "wave": f"第{i % 2 + 1}回"}
            for dept, n in (("営業", 20), ("開発", 6), ("法務", 2)) for i in range(n)]  # fmt: skip
    path = _write(tmp_path, rows)
    for args in (["--group-column", "wave"], []):  # 法務 and 開発 are hidden by dept
        result = runner.invoke(app, ["summary", path, *args])
        assert result.exit_code == 0, result.output
        assert "営業の0件目" in result.output and "法務の0件目" not in result.output
        assert "2 alert(s) in hidden groups" in result.output
    # a field with a value per comment (an id) shows no group, so it tells nothing: the
    # same quotes; lists as values key their groups as reports do
    rows = [{**row, "respondent": str(i), "site": [row["dept"]]} for i, row in enumerate(rows)]
    result = runner.invoke(app, ["summary", _write(tmp_path, rows), "--group-column", "wave"])
    assert "営業の0件目" in result.output and "法務の0件目" not in result.output
    assert "2 alert(s) in hidden groups" in result.output


def test_summary_without_a_group_column_shows_the_total_once(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["summary", _write(tmp_path, [_result(i, "営業") for i in range(6)])]
    )
    assert result.exit_code == 0, result.output
    assert result.output.count("│ 6 │") == 1 and "合計 total" in result.output


def test_summary_hides_every_alert_when_the_whole_file_is_too_small(tmp_path: Path) -> None:
    rows = [_result(0, "法務", alert=True), _result(1, "法務")]
    result = runner.invoke(app, ["summary", _write(tmp_path, rows)])
    assert result.exit_code == 0, result.output
    assert "法務の0件目" not in result.output and "1 alert(s) in hidden groups" in result.output
    assert "comments" not in result.output.splitlines()[0] and "count hidden" in result.output


def test_summary_names_blank_groups_and_orders_waves_naturally(tmp_path: Path) -> None:
    rows = [_result(i, dept) for dept in ("2024Q10", "2024Q9", "") for i in range(6)]
    rows += [{**_result(i, "x"), "dept": None} for i in range(6)]
    rows += [_result(0, "", alert=True), _result(1, "")]  # blank: 8 + 6, shown
    result = runner.invoke(app, ["summary", _write(tmp_path, rows), "--group-column", "dept"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    order = [next(i for i, line in enumerate(lines) if name in line)
             for name in ("2024Q9", "2024Q10", "未記入 (blank)", "合計 total")]  # fmt: skip
    assert order == sorted(order) and "None" not in result.output
    assert sum("未記入 (blank)" in line for line in lines) == 1  # blank and missing: one group
    assert "の0件目" in result.output  # its alert is quoted: the group is shown


def test_summary_does_not_quote_alerts_of_a_hidden_blank_group(tmp_path: Path) -> None:
    rows = [_result(i, "営業") for i in range(12)] + [
        {**_result(i, "x"), "dept": None} for i in range(2)
    ]
    rows += [_result(0, "", alert=True)]
    result = runner.invoke(app, ["summary", _write(tmp_path, rows), "--group-column", "dept"])
    assert result.exit_code == 0, result.output
    assert "の0件目" not in result.output and "1 alert(s) in hidden groups" in result.output


def test_summary_unknown_group_column_is_an_error(tmp_path: Path) -> None:
    path = _write(tmp_path, [_result(i, "営業") for i in range(6)])
    result = runner.invoke(app, ["summary", path, "--group-column", "deptt"])
    assert result.exit_code == 1
    assert "no column 'deptt'" in result.output and "columns present: dept" in result.output


def test_summary_keys_list_values_as_reports_do(tmp_path: Path) -> None:
    rows = [{**_result(i, "営業"), "site": [("東京", "名古屋")[i % 3 == 0]]} for i in range(24)]
    rows += [{**_result(i, "営業", alert=True), "text_redacted": f"大阪{i}", "site": ["大阪"]}
             for i in range(2)]  # fmt: skip
    result = runner.invoke(app, ["summary", _write(tmp_path, rows)])
    assert result.exit_code == 0, result.output
    assert "大阪0" not in result.output and "2 alert(s) in hidden groups" in result.output
