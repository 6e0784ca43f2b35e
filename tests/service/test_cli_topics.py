"""``koe topics``: JSON keys on a small CSV, koe analyze JSONL input, one-line errors."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from nlp.themes import load_pack
from service.cli import app

pytest.importorskip("bertopic")

pytestmark = [
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
    pytest.mark.filterwarnings("ignore::FutureWarning"),
    pytest.mark.filterwarnings("ignore::UserWarning"),
]

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()


def _rows(n: int = 50) -> list[dict[str, str]]:
    with (ROOT / "data" / "tune.jsonl").open(encoding="utf-8") as f:
        return [json.loads(line) for line in f][:n]


@pytest.fixture()
def small_csv(tmp_path: Path) -> Path:
    path = tmp_path / "survey.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "text", "dept", "wave"])
        for i, row in enumerate(_rows()):
            writer.writerow([row["id"], row["text"], "営業" if i % 2 else "開発", f"2025-{i % 2}"])
    return path


def test_cli_topics_writes_json_and_html(small_csv: Path, tmp_path: Path) -> None:
    out, html = tmp_path / "topics.json", tmp_path / "topics.html"
    result = runner.invoke(app, ["topics", str(small_csv), "-o", str(out), "--min-topic-size",
                                 "5", "--group-column", "dept", "--time-column", "wave",
                                 "--html", str(html)])  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text(encoding="utf-8"))
    assert {"topics", "assignments", "outlier_share", "config", "per_group", "per_time"} <= set(
        data
    )
    assert len(data["assignments"]) == 50
    topic = data["topics"][0]
    assert {"id", "label", "words", "size", "theme", "theme_score", "representative_ids"} <= set(
        topic
    )
    assert set(data["per_group"]) == {"営業", "開発"}
    pack = load_pack("employee")
    links = [link for t in data["topics"] for link in t["themes"]]
    assert links and all(
        (link["ja"], link["en"])
        == (pack.theme(link["id"]).label.ja, pack.theme(link["id"]).label.en)
        for link in links
    )  # bilingual theme labels in the JSON too
    page = html.read_text(encoding="utf-8")
    assert "<script src=" not in page and "Plotly" in page
    listed = {t["id"] for t in data["topics"]}
    drawn = next(i for i, t in data["assignments"].items() if t in listed)
    assert f'"{drawn}"' in page  # the map's hover names comments by id
    theme = data["topics"][0]["themes"][0]["id"] if data["topics"][0]["themes"] else "new"
    label = "新規 / new" if theme == "new" else load_pack("employee").theme(theme).label.ja
    titles = ("トピック一覧 / Topics", "トピックの代表語 / Topic words",
              "コメントの分布 / Comments and topics")  # fmt: skip
    for text in (*titles, label):  # the charts and the table; plotly escapes non-ASCII
        assert json.dumps(text)[1:-1].replace("/", "\\u002f") in page


def test_cli_topics_wave_trends_and_small_groups_hidden(tmp_path: Path) -> None:
    src = tmp_path / "waves.csv"
    with src.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "text", "dept", "wave"])
        for i, row in enumerate(_rows(60)):
            dept = "人事" if i < 3 else ("営業", "開発", "総務")[i % 3]
            writer.writerow([row["id"], row["text"], dept, f"wave {(10, 2, 1)[i % 3]}"])
    out, html = tmp_path / "topics.json", tmp_path / "topics.html"
    result = runner.invoke(app, ["topics", str(src), "-o", str(out), "--min-topic-size", "5",
                                 "--group-column", "dept", "--wave-column", "wave",
                                 "--html", str(html)])  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["trends"]["waves"] == ["wave 1", "wave 2", "wave 10"] == list(data["per_time"])
    assert {t["direction"] for t in data["trends"]["topics"]} <= {"rising", "falling", "stable"}
    # 人事 (3 comments) is hidden, and so is the next smallest department
    assert len(data["suppressed"]["groups"]) == 2 and "人事" in data["suppressed"]["groups"]
    assert len(data["per_group"]) == 2 and "人事" not in data["per_group"]
    assert "hidden" in result.output
    hidden = {r["id"] for i, r in enumerate(_rows(60))
              if (("人事" if i < 3 else ("営業", "開発", "総務")[i % 3])
                  in data["suppressed"]["groups"])}  # fmt: skip
    quoted = {i for t in data["topics"] for i in t["representative_ids"]}
    assert quoted and not quoted & hidden  # hidden groups are not quoted either
    title = json.dumps("トピックの推移 / Topics over waves")[1:-1].replace("/", "\\u002f")
    assert title in html.read_text(encoding="utf-8")


def test_cli_topics_reads_analyze_jsonl(tmp_path: Path) -> None:
    src = tmp_path / "analyzed.jsonl"
    lines = [json.dumps({"id": r["id"], "text_redacted": r["text"]}, ensure_ascii=False)
             for r in _rows(40)]  # fmt: skip
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "t.json"
    result = runner.invoke(app, ["topics", str(src), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert len(json.loads(out.read_text(encoding="utf-8"))["assignments"]) == 40


@pytest.mark.parametrize(
    "args",
    [
        ["missing.csv"],
        ["{csv}", "--text-column", "nope"],
        ["{csv}", "--pack", "no-such-pack"],
        ["{one}"],
    ],
)
def test_cli_topics_bad_input_one_line_exit_1(
    args: list[str], small_csv: Path, tmp_path: Path
) -> None:
    one = tmp_path / "one.csv"
    one.write_text("id,text\n1,残業が多い\n", encoding="utf-8")
    argv = [a.format(csv=small_csv, one=one) for a in args]
    result = runner.invoke(app, ["topics", *argv, "-o", str(tmp_path / "x.json")])
    assert result.exit_code == 1
    assert result.output.strip().count("\n") == 0
    assert result.output.startswith("koe: error:")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["{csv}", "--group-column", "deptt"], "group column(s) 'deptt' not found"),
        (["{csv}", "--time-column", "wav"], "group column(s) 'wav' not found"),
        (["{header_only}"], "need at least 2 non-empty comments, found 0"),
        (["{no_text}"], "text column 'text' not found; columns present: id, body"),
    ],
)
def test_cli_topics_error_names_the_real_problem(
    args: list[str], message: str, small_csv: Path, tmp_path: Path
) -> None:
    header_only, no_text = tmp_path / "header_only.csv", tmp_path / "no_text.csv"
    header_only.write_text("id,text\n", encoding="utf-8")
    no_text.write_text("id,body\n1,残業が多い\n2,上司が怖い\n", encoding="utf-8")
    argv = [a.format(csv=small_csv, header_only=header_only, no_text=no_text) for a in args]
    result = runner.invoke(app, ["topics", *argv, "-o", str(tmp_path / "x.json")])
    assert result.exit_code == 1
    assert message in result.output and "text_redacted" not in result.output


def test_cli_topics_warns_about_repeated_ids(tmp_path: Path) -> None:
    src, out = tmp_path / "panel.csv", tmp_path / "topics.json"
    with src.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "text"])
        writer.writerows([str(i % 20), row["text"]] for i, row in enumerate(_rows(40)))
    result = runner.invoke(app, ["topics", str(src), "-o", str(out), "--min-topic-size", "5"])
    assert result.exit_code == 0, result.output
    assert "20 row(s) repeat an earlier id" in result.output
    result = runner.invoke(app, ["topics", str(src), "-o", str(out), "--min-topic-size", "0"])
    assert result.exit_code == 2 and "min-topic-size" in result.output


def test_cli_topics_saved_model_assigns_a_later_wave(small_csv: Path, tmp_path: Path) -> None:
    out, saved = tmp_path / "w1.json", tmp_path / "model"
    first = runner.invoke(app, ["topics", str(small_csv), "--min-topic-size", "5", "-o",
                                str(out), "--save-model", str(saved)])  # fmt: skip
    assert first.exit_code == 0, first.output
    wave2 = tmp_path / "wave2.csv"  # other comments than the model was fitted on
    with wave2.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "text", "dept", "wave"])
        for i, row in enumerate(_rows(90)[50:]):
            writer.writerow([row["id"], row["text"], "営業" if i % 2 else "開発", f"W{i % 2}"])
    later, html = tmp_path / "w2.json", tmp_path / "w2.html"
    second = runner.invoke(app, ["topics", str(wave2), "-o", str(later), "--model", str(saved),
                                 "--group-column", "dept", "--time-column", "wave",
                                 "--html", str(html)])  # fmt: skip
    assert second.exit_code == 0, second.output
    fitted, assigned = (json.loads(p.read_text(encoding="utf-8")) for p in (out, later))
    assert len(assigned["assignments"]) == 40
    from nlp.topics.vocab import lemma_docs

    topics = {t["id"]: t for t in fitted["topics"]}
    texts = {row["id"]: row["text"] for row in _rows(90)[50:]}
    for topic in assigned["topics"]:  # the saved topics, with this batch's sizes and words
        assert topic["theme"] == topics[topic["id"]]["theme"]
        members = [texts[i] for i, t in assigned["assignments"].items() if t == topic["id"]]
        docs, spell = lemma_docs(members)
        words = {w for doc in docs for w in doc.split()} | set(spell.values())
        assert topic["words"] and set(topic["words"]) <= words, topic["words"]
    outliers = list(assigned["assignments"].values()).count(-1)  # no word the model knows
    assert sum(t["size"] for t in assigned["topics"]) + outliers == 40 and outliers < 4
    assert set(assigned["per_group"]) == {"営業", "開発"} and "trends" in assigned
    assert "Plotly" in html.read_text(encoding="utf-8")


def test_cli_topics_model_that_is_not_one_is_a_clear_error(small_csv: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["topics", str(small_csv), "-o", str(tmp_path / "t.json"),
                                 "--model", str(tmp_path)])  # fmt: skip
    assert result.exit_code == 1
    assert "not a topic model saved by koe topics" in result.output
    saved = tmp_path / "model"
    args = ["topics", str(small_csv), "-o", str(tmp_path / "t.json"), "--min-topic-size", "5"]
    assert runner.invoke(app, [*args, "--save-model", str(saved)]).exit_code == 0
    (saved / "embedder.safetensors").unlink()
    result = runner.invoke(app, [*args, "--model", str(saved)])
    assert result.exit_code == 1 and result.output.count("\n") == 1
    assert "incomplete or damaged" in result.output and "--save-model" in result.output


def test_cli_topics_redacts_pii_terms_in_words_and_examples(tmp_path: Path) -> None:
    path, out = tmp_path / "survey.csv", tmp_path / "topics.json"
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "text"])
        for i, row in enumerate(_rows(40)):
            writer.writerow(
                [row["id"], f"さくら工場の件で、{row['text']}" if i % 2 else row["text"]]
            )
    result = runner.invoke(app, ["topics", str(path), "-o", str(out), "--min-topic-size", "5",
                                 "--pii-terms", "さくら工場"])  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["config"]["pii_terms"] == 1  # how many, never which
    topics = [(t["words"], t["label"], t["representative_texts"]) for t in data["topics"]]
    assert "［固有名］" in json.dumps(topics, ensure_ascii=False)
    assert "さくら" not in out.read_text(encoding="utf-8")


def test_cli_topics_every_topic_hidden_still_writes_the_page(tmp_path: Path) -> None:
    src = tmp_path / "tiny.csv"
    with src.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "text", "dept"])
        for i, row in enumerate(_rows(12)):  # six departments of two: all small
            writer.writerow([row["id"], row["text"], f"d{i // 2}"])
    out, html = tmp_path / "topics.json", tmp_path / "topics.html"
    result = runner.invoke(app, ["topics", str(src), "-o", str(out), "--min-topic-size", "2",
                                 "--group-column", "dept", "--html", str(html)])  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["topics"] == [] and data["suppressed"]["topics"]
    title = json.dumps("トピック一覧 / Topics")[1:-1].replace("/", "\\u002f")
    assert title in html.read_text(encoding="utf-8")
