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
    assert "営業の0件目" in result.output
    for hidden in ("法務の0件目", "法務-0", "開発の0件目"):
        assert hidden not in result.output
    assert "2 alert(s) in hidden groups are not listed" in result.output
    assert "16 comments (1 not analysed" in result.output


def test_summary_hides_every_alert_when_the_whole_file_is_too_small(tmp_path: Path) -> None:
    rows = [_result(0, "法務", alert=True), _result(1, "法務")]
    result = runner.invoke(app, ["summary", _write(tmp_path, rows)])
    assert result.exit_code == 0, result.output
    assert "法務の0件目" not in result.output and "1 alert(s) in hidden groups" in result.output


def test_summary_unknown_group_column_is_an_error(tmp_path: Path) -> None:
    path = _write(tmp_path, [_result(i, "営業") for i in range(6)])
    result = runner.invoke(app, ["summary", path, "--group-column", "deptt"])
    assert result.exit_code == 1
    assert "no column 'deptt'" in result.output and "columns present: dept" in result.output
