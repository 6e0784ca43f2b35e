import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from service.cli import app

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "data" / "sample" / "survey_cp932.csv"
runner = CliRunner()


@pytest.fixture()
def tiny_toml(tmp_path):
    path = tmp_path / "tiny.toml"
    lexicon = (ROOT / "tests" / "fixtures" / "tiny_lexicon.tsv").as_posix()
    path.write_text(f'[pipeline.sentiment_options]\nlexicon_path = "{lexicon}"\n', encoding="utf-8")
    return str(path)


def read_jsonl(path):
    return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines()]


def test_cli_analyze_cp932_csv_with_groups(tmp_path, tiny_toml):
    out = tmp_path / "new-folder" / "out.jsonl"
    result = runner.invoke(
        app,
        [
            "analyze",
            str(SAMPLE),
            "--group-columns",
            "dept,wave",
            "--config",
            tiny_toml,
            "-o",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    rows = read_jsonl(out)
    assert len(rows) == 40 and rows[0]["id"] == "c001"
    assert rows[0]["dept"] == "営業部" and rows[0]["wave"] == "2026-04"
    assert all(r["error"] is None for r in rows)
    redacted = next(r for r in rows if "［メール］" in r["text_redacted"])
    assert "［電話番号］" in redacted["text_redacted"]


def test_cli_analyze_stdin_lines_and_csv_output(tmp_path, tiny_toml):
    out = tmp_path / "out.csv"
    result = runner.invoke(
        app,
        ["analyze", "-", "--config", tiny_toml, "-o", str(out)],
        input="良い職場です\n\n対応が遅い\n",
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert [r["sentiment"] for r in rows] == ["positive", "negative"]
    assert [r["id"] for r in rows] == ["1", "3"]


def test_cli_analyze_config_pack_and_terms_hold_unless_given(tmp_path, tiny_toml):
    config = tmp_path / "config.toml"
    extra = '[pipeline]\npack = "customer"\npii_terms = ["営業一課"]\n'
    config.write_text(extra + Path(tiny_toml).read_text("utf-8"), "utf-8")
    text = "営業一課と渋谷店の対応が遅い\n"
    for args, pack in (([], "customer"), (["--pack", "employee"], "employee")):
        cli = ["analyze", "-", "--config", str(config), "--pii-terms", "渋谷店", *args]
        result = runner.invoke(app, cli, input=text)
        assert result.exit_code == 0, result.output
        row = json.loads(result.stdout.splitlines()[0])
        assert row["pack"] == pack
        assert row["text_redacted"] == "［固有名］と［固有名］の対応が遅い"


def test_cli_analyze_csv_keeps_group_columns_when_the_first_row_fails(tmp_path, tiny_toml):
    src, out = tmp_path / "in.jsonl", tmp_path / "out.csv"
    src.write_text('{"id": "x", "text":\n{"id": "a", "text": "良い", "dept": "営業"}\n')
    args = ["analyze", str(src), "--group-columns", "dept", "--config", tiny_toml, "-o", str(out)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert [(r["error_code"], r["dept"]) for r in rows] == [("invalid_json", ""), ("", "営業")]


def test_cli_analyze_warns_about_repeated_ids(tmp_path, tiny_toml):
    src = tmp_path / "in.csv"
    src.write_text("id,text\na,良い\nb,悪い\na,普通\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    result = runner.invoke(app, ["analyze", str(src), "--config", tiny_toml, "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert [r["id"] for r in read_jsonl(out)] == ["a", "b", "a"]
    assert "1 row(s) repeat an earlier id (first: 'a')" in result.output


def test_cli_analyze_jsonl_bad_line_does_not_stop_the_run(tmp_path, tiny_toml):
    src = tmp_path / "in.jsonl"
    src.write_text(
        '{"id": "a", "text": "良い"}\n{broken\n{"id": "c", "text": "悪い", "pack": "customer"}\n',
        encoding="utf-8",
    )
    out = tmp_path / "out.jsonl"
    result = runner.invoke(app, ["analyze", str(src), "--config", tiny_toml, "-o", str(out)])
    assert result.exit_code == 0, result.output
    rows = read_jsonl(out)
    assert [r["id"] for r in rows] == ["a", "2", "c"]
    assert rows[1]["error"]["code"] == "invalid_json"
    assert rows[2]["pack"] == "customer"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--text-column", "コメント"], "コメント"),
        (["--pack", "nope"], "unknown theme pack"),
        (["--group-columns", "team"], "team"),
    ],
)
def test_cli_analyze_user_errors_are_one_line(args, message, tiny_toml):
    result = runner.invoke(app, ["analyze", str(SAMPLE), "--config", tiny_toml, *args])
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output


def test_cli_analyze_missing_file_and_bad_bytes(tmp_path, tiny_toml):
    missing = runner.invoke(app, ["analyze", str(tmp_path / "nope.csv"), "--config", tiny_toml])
    assert missing.exit_code == 1 and "nope.csv" in missing.output
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"text\n\xff\xfe\xfa\x80\x81broken\n")
    result = runner.invoke(app, ["analyze", str(bad), "--config", tiny_toml])
    assert result.exit_code == 1 and "Traceback" not in result.output


def test_cli_analyze_never_overwrites_its_input_or_a_good_output(tmp_path, tiny_toml):
    src = tmp_path / "in.csv"
    src.write_text("id,text\n1,良い\n", encoding="utf-8")
    same = runner.invoke(app, ["analyze", str(src), "--config", tiny_toml, "-o", str(src)])
    assert same.exit_code == 1 and "would overwrite the input" in same.output
    assert src.read_text(encoding="utf-8") == "id,text\n1,良い\n"
    out = tmp_path / "out.jsonl"
    out.write_text("earlier results\n", encoding="utf-8")
    broken = tmp_path / "broken.csv"  # a NUL byte on the third data row fails the run
    broken.write_text("id,text\n1,良い\n2,悪い\n3,x\x00y\n", encoding="utf-8")
    failed = runner.invoke(app, ["analyze", str(broken), "--config", tiny_toml, "-o", str(out)])
    assert failed.exit_code == 1
    assert out.read_text(encoding="utf-8") == "earlier results\n"
    assert not [p for p in tmp_path.iterdir() if "partial" in p.name]


def test_cli_entry_point_runs_as_a_process(tmp_path, tiny_toml):
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            "from service.cli import main; main()",
            "analyze",
            "-",
            "--config",
            tiny_toml,
        ],
        input="残業が多い\n",
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["themes"][0]["id"] == "workload"
    assert "analysed 1 comments" in proc.stderr


def test_cli_backends_and_packs_list():
    backends = runner.invoke(app, ["backends", "list", "--json"])
    assert (
        backends.exit_code == 0
        and "lexicon.v1" in json.loads(backends.output)["sentiment_backends"]
    )
    packs = runner.invoke(app, ["packs", "list"])
    assert (
        packs.exit_code == 0
        and "心理的安全性" in packs.output
        and "Psychological safety" in packs.output
    )
