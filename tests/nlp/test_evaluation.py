"""Scoring labelled files: CSV reading, alert, error and macro-F1 metrics, pack warnings."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from nlp import evaluation
from nlp.errors import InputError
from nlp.evaluation import load_labelled, load_polarity_tsv, score_predictions
from nlp.results import AlertResult, CommentAnalysis, ErrorInfo

REPO = Path(__file__).resolve().parents[2]


def _script(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, REPO / "scripts" / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _prediction(i: int, sentiment: str = "positive", alert: bool = False) -> CommentAnalysis:
    return CommentAnalysis(id=str(i), pack="employee", sentiment=sentiment,  # type: ignore[arg-type]
                           alert=AlertResult(flag=alert))  # fmt: skip


def test_an_unquoted_comma_in_a_last_text_column_stays_in_the_text(tmp_path):
    path = tmp_path / "labels.csv"
    path.write_text("sentiment,themes,text\npositive,,良い,とても良い,,\n", encoding="utf-8")
    assert load_labelled(path)[0]["text"] == "良い,とても良い"


def test_extra_cells_elsewhere_name_the_row_as_excel_does(tmp_path):
    path = tmp_path / "labels.csv"
    path.write_text(
        "text,sentiment,themes\n良い,positive,\n"
        "給料は良いが残業が多い,mixed,compensation:positive,workload:negative\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError, match=re.escape(f"{path}: row 3: 4 cells") + ".*quote a cell"):
        load_labelled(path)
    path.write_text("text,sentiment,themes\n良い,positive,,,\n", encoding="utf-8")
    assert load_labelled(path)[0]["themes"] == {}  # empty trailing cells (Excel) are fine


def test_alert_metrics_need_an_alert_column_and_nothing_else():
    gold = [{"id": "1", "text": "a", "sentiment": "negative", "alert": True},
            {"id": "2", "text": "b", "sentiment": "positive", "alert": False}]  # fmt: skip
    predictions = [_prediction(1, "negative", alert=True), _prediction(2)]
    metrics = score_predictions(gold, predictions)
    assert (metrics["alert_recall"], metrics["alert_false_rate"]) == (1.0, 0.0)
    assert metrics["theme_micro_f1"] is None  # no themes column
    # Themes but no alert column: no alert metrics, not a guess from the harassment theme.
    gold = [{"id": "1", "text": "a", "sentiment": "negative", "themes": {"harassment": "negative"}}]
    metrics = score_predictions(gold, [_prediction(1, "negative")])
    assert metrics["alert_recall"] is None and metrics["alert_false_rate"] is None
    assert metrics["theme_micro_f1"] == 0.0


def test_failed_rows_are_counted_and_reported(capsys):
    gold = [{"id": "a", "text": "x", "sentiment": "neutral"},
            {"id": "b", "text": "y", "sentiment": "positive"}]  # fmt: skip
    failed = CommentAnalysis(id="a", pack="", error=ErrorInfo("empty_text", "no text"))
    metrics = score_predictions(gold, [failed, _prediction(1)])
    assert metrics["errors"] == 1 and metrics["error_examples"] == ["a: no text"]
    evaluate = _script("evaluate")
    metrics |= {"pipeline_version": "v", "by_domain": {}, "pii_recall": None}
    evaluate.print_metrics(Path("x.csv"), metrics)
    evaluate.warn(metrics, "fast")
    out, err = capsys.readouterr()
    assert re.search(r"errors \(rows not analysed\) +1\n", out)
    assert err == "warning (fast): 1 of 2 rows could not be analysed and are scored as " \
                  "neutral; first: a: no text\n"  # fmt: skip


def test_macro_f1_averages_the_labels_of_gold_or_predictions():
    pairs = [("positive", "positive"), ("positive", "mixed"), ("negative", "negative")]
    score, per_class = evaluation._macro_f1(pairs, ["positive", "negative", "neutral", "mixed"])
    # positive 2/3, negative 1, mixed 0 (predicted, never gold); neutral is in neither
    assert score == pytest.approx(round((2 / 3 + 1 + 0) / 3, 4))
    assert per_class["mixed"]["f1"] == 0.0


def test_gold_themes_that_the_pack_lacks_are_warned_about():
    gold = [
        {"id": "1", "text": "a", "sentiment": "positive", "themes": {"product_quality": "positive"}}
    ]
    (warning,) = evaluation.pack_warnings(gold, "employee")
    assert "not in the theme pack 'employee'" in warning and "product_quality" in warning
    assert "--pack customer" in warning
    assert evaluation.pack_warnings(gold, "customer") == []
    assert evaluation.pack_warnings([{**gold[0], "domain": "customer"}], "employee") == []


def test_a_tsv_file_without_polarity_rows_is_an_error(tmp_path):
    path = tmp_path / "labels.tsv"
    path.write_text("text\tsentiment\n良い\tpositive\n", encoding="utf-8")
    with pytest.raises(InputError, match="none of its 2 lines is a polarity sentence"):
        load_polarity_tsv(path)


def test_evaluate_script_refuses_what_it_would_ignore_or_overwrite(tmp_path, monkeypatch, capsys):
    evaluate = _script("evaluate")
    labels = tmp_path / "labels.csv"
    labels.write_text("text,sentiment\n良い,positive\n", encoding="utf-8")
    for argv, message in (
        ([str(labels), "--encoder", "models/x"], "--encoder needs --compare"),
        ([str(labels), "--output", str(tmp_path / "." / "labels.csv")], "the labelled file"),
    ):
        monkeypatch.setattr(sys, "argv", ["evaluate.py", *argv])
        with pytest.raises(SystemExit):
            evaluate.main()
        assert message in capsys.readouterr().err
    assert labels.read_text(encoding="utf-8") == "text,sentiment\n良い,positive\n"


def test_encoders_with_the_same_name_get_their_own_rows():
    evaluate = _script("evaluate")
    labels = evaluate.encoder_labels([Path("a/model"), Path("b/model"), Path("c"), Path("c")])
    assert labels == ["accurate with a/model", "accurate with b/model", "accurate with c",
                      "accurate with c (2)"]  # fmt: skip


def test_split_labels_reports_an_undecodable_file_in_one_line(tmp_path):
    path = tmp_path / "labels.csv"
    path.write_bytes(b"PK\x03\x04" + bytes(range(256)) * 8)  # an .xlsx renamed, say
    done = subprocess.run([sys.executable, str(REPO / "scripts" / "split_labels.py"), str(path)],
                          cwd=REPO, capture_output=True, text=True)  # fmt: skip
    assert done.returncode == 1 and done.stderr.startswith("error: ")
    assert "Traceback" not in done.stderr
