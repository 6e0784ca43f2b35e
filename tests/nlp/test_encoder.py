"""The transformers comment model: tiny training run, distillation, loading, pipeline, profiles.

The ``tiny_encoder`` fixture trains a 1-layer, 32-wide BERT on 40 training comments in a
few seconds; it stands for "a user's checkpoint directory" in the pipeline tests.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
from pydantic import ValidationError

from nlp.comment_model import (
    DEFAULT_ENCODER,
    DEFAULT_LINEAR,
    EnsembleCommentModel,
    load_comment_model,
)
from nlp.encoder import EncoderCommentModel, is_encoder_dir
from nlp.encoder.distil import (
    augmented_inputs,
    distillation_loss,
    kept_layers,
    student_of,
    teacher_outputs,
)
from nlp.encoder.model import encode_clauses, pad_batch
from nlp.encoder.train import DataConfig, TrainConfig, train_encoder
from nlp.encoder.train import _records as _records_of
from nlp.errors import ConfigError, ModelLoadError
from nlp.evaluation import evaluate_polarity, load_labelled, polarity_split
from nlp.pipeline import Pipeline, PipelineConfig
from nlp.profiles import profile_config

REPO = Path(__file__).resolve().parents[2]
TINY = {
    "name": "tiny-bert",
    "seed": 3,
    "data": {"polarity_files": [], "valid_fraction": 0.2},
    "model": {"vocab_size": 300, "hidden_size": 32, "num_layers": 1, "num_heads": 2,
              "intermediate_size": 64, "max_length": 64},
    "optim": {"epochs": 2, "batch_size": 8, "learning_rate": 1e-3},
}  # fmt: skip


def _records(n: int) -> list[dict]:
    rows = load_labelled(REPO / "data" / "train" / "emp_office.jsonl")
    return rows[:n]


@pytest.fixture(scope="session")
def tiny_encoder(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("encoder") / "tiny-bert"
    summary = train_encoder(TrainConfig.model_validate(TINY), out, records=_records(40))
    assert summary["best_epoch"] in (1, 2)
    return out


def test_training_writes_a_hugging_face_checkpoint_with_heads(tiny_encoder):
    names = {p.name for p in tiny_encoder.iterdir()}
    assert {"config.json", "model.safetensors", "vocab.txt", "tokenizer_config.json",
            "heads.safetensors", "koe.json", "train_config.json"} <= names  # fmt: skip
    assert is_encoder_dir(tiny_encoder)
    tokenizer_config = json.loads((tiny_encoder / "tokenizer_config.json").read_text())
    assert tokenizer_config["tokenizer_class"] == "BertJapaneseTokenizer"
    assert json.loads((tiny_encoder / "train_config.json").read_text())["model"]["num_layers"] == 1


def test_training_is_reproducible(tiny_encoder, tmp_path):
    again = tmp_path / "again"
    train_encoder(TrainConfig.model_validate(TINY), again, records=_records(40))
    texts = ["残業が多すぎる", "上司に相談しやすいが、評価は不透明"]
    first = EncoderCommentModel.load(str(tiny_encoder)).predict_proba(texts)
    second = EncoderCommentModel.load(str(again)).predict_proba(texts)
    for head in first:
        for a, b in zip(first[head], second[head], strict=True):
            assert a == pytest.approx(b, abs=1e-5)


def test_vocabulary_is_the_same_in_every_process(tmp_path):
    # The tokenizers trainer's hash-map order changes per process (not within one), and
    # it used to decide ties: 1,485 comments gave a different vocabulary on every run.
    script = (
        "import json, sys\n"
        "from pathlib import Path\n"
        "from nlp.encoder.train import build_vocab\n"
        "texts = [json.loads(line)['text'] for name in sys.argv[2:]\n"
        "         for line in Path(name).read_text(encoding='utf-8').splitlines()]\n"
        "build_vocab(texts, 3000, Path(sys.argv[1]))\n"
    )
    files = [str(p) for p in sorted((REPO / "data" / "train").glob("*.jsonl"))[:3]]
    for run in ("a", "b"):
        subprocess.run([sys.executable, "-c", script, str(tmp_path / run), *files],
                       check=True, cwd=REPO, capture_output=True)  # fmt: skip
    first = (tmp_path / "a" / "vocab.txt").read_text(encoding="utf-8")
    assert len(first.splitlines()) >= 3000
    assert (tmp_path / "b" / "vocab.txt").read_text(encoding="utf-8") == first


def test_training_files_can_be_left_out(tmp_path):
    rows = _records(4)
    for name, part in (("a.jsonl", rows[:2]), ("b.jsonl", rows[2:])):
        (tmp_path / name).write_text("".join(json.dumps(r) + "\n" for r in part), "utf-8")
    glob = str(tmp_path / "*.jsonl")
    kept = _records_of(DataConfig(train_files=[glob], exclude_files=[str(tmp_path / "b*")]))
    assert [r["text"] for r in kept] == [r["text"] for r in rows[:2]]
    with pytest.raises(FileNotFoundError, match="but not"):
        _records_of(DataConfig(train_files=[glob], exclude_files=[glob]))


def test_fine_tunes_a_local_checkpoint_directory(tiny_encoder, tmp_path):
    config = TrainConfig.model_validate(
        {**TINY, "name": "tuned", "model": {**TINY["model"], "base_model": str(tiny_encoder)}}
    )
    out = tmp_path / "tuned"
    train_encoder(config, out, records=_records(30))
    assert (out / "vocab.txt").read_text() == (tiny_encoder / "vocab.txt").read_text()
    assert EncoderCommentModel.load(str(out)).predict_proba(["残業が多い"])["sentiment"]


def test_probabilities_are_distributions_in_input_order(tiny_encoder):
    texts = ["とても長いコメントです。" * 40, "短い", "普通の長さですが、少し不満です"]
    batched = EncoderCommentModel.load(str(tiny_encoder)).predict_proba(texts)
    for row in batched["sentiment"] + batched["intent"]:
        assert abs(sum(row.values()) - 1) < 1e-5
    assert set(batched["binary"][0]) >= {"alert"}
    for i, text in enumerate(texts):  # padding, sorting and caching change nothing
        single = EncoderCommentModel.load(str(tiny_encoder)).predict_proba([text])
        assert single["sentiment"][0] == pytest.approx(batched["sentiment"][i], abs=1e-4)
    assert EncoderCommentModel.load(str(tiny_encoder)).predict_proba([]) == {
        "sentiment": [], "intent": [], "binary": []
    }  # fmt: skip


def test_one_pass_gives_every_clause_a_score(tiny_encoder):
    from nlp.doc import make_doc

    model = EncoderCommentModel.load(str(tiny_encoder))
    docs = [make_doc("上司は優しいが、残業が多い。でも頑張ります"), make_doc("最高" * 200)]
    polarity = model.clause_polarity(docs)
    assert [len(p) for p in polarity] == [len(d.clauses) for d in docs]
    assert all(-1.0 <= v <= 1.0 for p in polarity for v in p)
    assert len(model._cache) == 2  # the comment heads came from the same pass
    model.predict_docs(docs)
    assert len(model._cache) == 2


def test_encoder_input_matches_the_tokenizers_own_path(tiny_encoder):
    from nlp.encoder.model import _piece_reader

    tokenizer = EncoderCommentModel.load(str(tiny_encoder)).tokenizer
    read = _piece_reader(tokenizer)
    texts = ["残業が多すぎる😊", "ﾁｰﾑのＭＴＧ、9:00〜", "上司は話を聞いてくれない。でも給与は良い"]
    for text in texts * 2:  # the second round reads memoised words
        assert read(text) == tokenizer.convert_tokens_to_ids(tokenizer.tokenize(text))

    class CharTokenizer:  # any other tokenizer: its own two calls
        def tokenize(self, text):
            return list(text)

        def convert_tokens_to_ids(self, tokens):
            return [ord(t) for t in tokens]

    assert _piece_reader(CharTokenizer())("ab") == [97, 98]


def test_quantized_model_stays_close(tiny_encoder):
    plain = EncoderCommentModel.load(str(tiny_encoder)).predict_proba(["残業が多い"])
    quant = EncoderCommentModel.load(str(tiny_encoder), quantize=True).predict_proba(["残業が多い"])
    for label, p in plain["sentiment"][0].items():
        assert abs(p - quant["sentiment"][0][label]) < 0.1


def test_batches_are_formed_in_a_fixed_order():
    from nlp.encoder.model import in_length_order

    keys = {("bb",), ("a", "a"), ("aa",), ("c",), ("ab",)}
    assert in_length_order(keys) == [("c",), ("a", "a"), ("aa",), ("ab",), ("bb",)]


def test_a_checkpoint_directory_is_one_config_value(tiny_encoder):
    config = profile_config("accurate", encoder=str(tiny_encoder))
    pipe = Pipeline(config)
    results = pipe.analyze(["上司は優しいが、残業が多すぎる。", "特になし"])
    assert "tiny-bert" in pipe.version and DEFAULT_LINEAR in pipe.version
    for result in results:
        assert result.error is None
        assert result.sentiment in ("positive", "negative", "neutral", "mixed")
    assert len(results[0].clauses) == 2


def test_encoder_backend_blends_lexicon_and_encoder(tiny_encoder):
    from nlp.doc import make_doc
    from nlp.registry import sentiment_backends

    factory = sentiment_backends.get("encoder.v1")
    doc = make_doc("最高です")
    lexicon_only = factory(model=str(tiny_encoder), encoder_scale=0.0, lexicon_weight=1.0)
    encoder_only = factory(model=str(tiny_encoder), encoder_scale=1.0, lexicon_weight=0.0)
    assert lexicon_only.score(doc)[0].score > 0.5  # the lexicon's 最高
    polarity = encoder_only.model.clause_polarity([doc])[0][0]
    assert encoder_only.score(doc)[0].score == pytest.approx(polarity, abs=1e-6)


def test_ensemble_averages_and_keeps_every_binary_label():
    class Fake:
        def __init__(self, name, p, binary):
            self.name, self.p, self.binary = name, p, binary

        def predict_docs(self, docs):
            row = {"positive": self.p, "negative": 1 - self.p}
            return {"sentiment": [row] * len(docs), "intent": [{"other": 1.0}] * len(docs),
                    "binary": [self.binary] * len(docs)}  # fmt: skip

    ensemble = EnsembleCommentModel(
        [Fake("a", 0.9, {"alert": 0.2, "theme:x": 1.0}), Fake("b", 0.5, {"alert": 0.6})]
    )
    out = ensemble.predict_docs(["t"])
    assert ensemble.name == "a+b"
    assert out["sentiment"][0]["positive"] == pytest.approx(0.7)
    # alerts: the most alarmed; a theme only one model has is that model's
    assert out["binary"][0] == {"alert": pytest.approx(0.6), "theme:x": pytest.approx(1.0)}
    weighted = EnsembleCommentModel(ensemble.models, [3.0, 1.0]).predict_docs(["t"])
    assert weighted["sentiment"][0]["positive"] == pytest.approx(0.8)
    with pytest.raises(ConfigError, match="weights"):
        EnsembleCommentModel(ensemble.models, [1.0])
    assert ensemble.predict_docs([]) == {"sentiment": [], "intent": [], "binary": []}
    # A retrained model without an alert head and with another theme takes nothing away.
    shipped = Fake("shipped", 0.9, {"alert": 0.7, "theme:x": 0.2, "theme:y": 0.4})
    retrained = Fake("mine", 0.5, {"theme:x": 0.8, "theme:z": 0.9})
    union = EnsembleCommentModel([shipped, retrained], [0.8, 0.2]).predict_docs(["t"])
    assert union["binary"][0] == {
        "alert": pytest.approx(0.7),
        "theme:x": pytest.approx(0.8 * 0.2 + 0.2 * 0.8),
        "theme:y": pytest.approx(0.4),
        "theme:z": pytest.approx(0.9),
    }


def test_load_comment_model_dispatches_on_the_directory(tiny_encoder):
    assert isinstance(load_comment_model(str(tiny_encoder)), EncoderCommentModel)
    both = load_comment_model((DEFAULT_LINEAR, str(tiny_encoder)))
    assert isinstance(both, EnsembleCommentModel)
    with pytest.raises(ModelLoadError):
        load_comment_model("no-such-model")


def test_unknown_profile_lists_the_profiles():
    with pytest.raises(ConfigError, match="fast, standard, accurate"):
        profile_config("turbo")
    assert profile_config("fast").comment_model is None


def test_read_training_file_csv_in_cp932(tmp_path):
    path = tmp_path / "labels.csv"
    path.write_bytes(
        "text,sentiment,themes\n残業が多い,negative,workload:negative\n最高,positive,\n".encode(
            "cp932"
        )
    )
    rows = load_labelled(path)
    assert rows[0]["themes"] == {"workload": "negative"} and rows[1]["themes"] == {}
    assert rows[0]["sentiment"] == "negative" and "alert" not in rows[0]
    path.write_text("text,sentiment\n残業が多い,bad\n", encoding="utf-8")
    with pytest.raises(ValueError, match="row 2: sentiment 'bad': needs a sentiment in"):
        load_labelled(path)


def test_read_training_file_normalises_themes_and_intents(tmp_path):
    path = tmp_path / "labels.jsonl"
    rows = [
        {
            "text": "残業が多い",
            "sentiment": "negative",
            "themes": "workload: negative；growth：positive",
        },
        {"text": "良い", "sentiment": "positive", "themes": {" growth ": "positive"}, "intent": ""},
    ]
    path.write_text("\ufeff" + "\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n")
    first, second = load_labelled(path)
    assert first["themes"] == {"workload": "negative", "growth": "positive"}
    assert (first["id"], second["id"]) == ("1", "2")  # line numbers when there is no id
    assert second["themes"] == {"growth": "positive"} and "intent" not in second


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ('{"text": "a", "sentiment": "pos"}', "line 2: sentiment 'pos': needs a sentiment in"),
        ('{"text": "a"}', "line 2: sentiment None"),
        ('{"comment": "a", "sentiment": "positive"}', "line 2: no 'text' field; found: comment"),
        ('{"text": "a", "sentiment": "positive", "intent": "要望"}', "intent '要望' is not one"),
        ('{"text": "a", "sentiment": "positive", "themes": ["workload"]}', "not list"),
        ('{"text": "a", "sentiment": "positive", "themes": "workload"}', "'workload' has no pol"),
        ('{"text": "a", "sentiment": "positive", "themes": {"workload": "neg"}}', "'neg'; use"),
        ('{"text": "a", ', "line 2: not valid JSON"),
    ],
)
def test_read_training_file_names_the_bad_row(tmp_path, row, message):
    path = tmp_path / "labels.jsonl"
    path.write_text('{"text": "良い", "sentiment": "positive"}\n' + row + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match=re.escape(f"{path}: ") + ".*" + re.escape(message)):
        load_labelled(path)


def test_training_labels_are_checked_for_what_cannot_be_learned():
    from nlp.evaluation import check_training_labels

    rows = [
        {"text": "残業が多い", "sentiment": "negative", "themes": {"workload": "negative"}},
        {"text": "良い職場", "sentiment": "positive", "themes": {"my_theme": "positive"}},
        {"text": "残業が多い", "sentiment": "neutral", "themes": {}},
    ]
    first, second = check_training_labels(rows)
    assert first.startswith("1 comments repeat an earlier text") and "'残業が多い'" in first
    assert second.endswith(": my_theme")
    assert check_training_labels(rows[:2]) == [second]
    with pytest.raises(ValueError, match="every comment has the sentiment 'negative'"):
        check_training_labels(rows[:1])


def test_polarity_split_is_disjoint_and_stable():
    rows = [(f"文{i}", "positive") for i in range(200)]
    train, held = polarity_split(rows, 0.3)
    assert not {t for t, _ in train} & {t for t, _ in held}
    assert 30 < len(held) < 90 and polarity_split(rows, 0.3)[1] == held


def test_evaluate_polarity_counts_strict_and_binary(tmp_path):
    path = tmp_path / "p.tsv"
    path.write_text("最高の業績でした\t1\t\n売上が大きく落ち込み厳しい状況でした\t0\t\n", "utf-8")
    metrics = evaluate_polarity(path, PipelineConfig(comment_model=None))
    assert metrics["n"] == 2 and metrics["accuracy"] == 1.0 and metrics["always_positive"] == 0.5


def test_encoder_plugin_is_imported_only_when_used():
    code = (
        "import sys; from nlp.registry import sentiment_backends as r;"
        "assert 'encoder.v1' in r.names(); r.get('lexicon.v1');"
        "assert 'torch' not in sys.modules, 'torch imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO)


def test_train_script_overrides_are_dotted_toml_values():
    spec = importlib.util.spec_from_file_location("train_script", REPO / "scripts" / "train.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    tree = module.parse_overrides(["optim.epochs=3", "model.base_model=/x/y", "seed=7"])
    assert tree == {"optim": {"epochs": 3}, "model": {"base_model": "/x/y"}, "seed": 7}
    config = TrainConfig.model_validate(module._merge({"optim": {"patience": 2}}, tree))
    assert (config.optim.epochs, config.optim.patience, config.seed) == (3, 2, 7)
    with pytest.raises(SystemExit):
        module.parse_overrides(["epochs"])


def test_config_files_match_the_code_defaults():
    import tomllib

    accurate = PipelineConfig.from_toml(REPO / "configs" / "accurate.toml")
    assert accurate.model_dump() == profile_config("accurate").model_dump()
    standard = PipelineConfig.from_toml(REPO / "configs" / "standard.toml")
    assert standard.model_dump() == profile_config("standard").model_dump()
    fast = PipelineConfig.from_toml(REPO / "configs" / "fast.toml")
    assert fast.comment_model in (None, "") and profile_config("fast").comment_model is None
    train = tomllib.loads((REPO / "configs" / "train.toml").read_text(encoding="utf-8"))
    assert TrainConfig.model_validate(train) == TrainConfig()
    teacher = json.loads((REPO / "models" / TrainConfig().name / "train_config.json").read_text())
    assert TrainConfig.model_validate(teacher) == TrainConfig()  # the defaults rebuild it
    distil = tomllib.loads((REPO / "configs" / "distil.toml").read_text(encoding="utf-8"))
    student = TrainConfig.model_validate(distil)
    assert (student.name, student.model.teacher) == (DEFAULT_ENCODER, TrainConfig().name)
    shipped = json.loads((REPO / "models" / DEFAULT_ENCODER / "train_config.json").read_text())
    assert TrainConfig.model_validate(shipped) == student


@pytest.mark.slow
def test_default_training_config_learns_on_the_real_data(tmp_path):
    """The shipped configuration, shortened to 3 epochs, on the full training data."""
    config = TrainConfig.model_validate({"optim": {"epochs": 3}})
    summary = train_encoder(config, tmp_path / "model")
    assert summary["valid"]["sentiment_macro_f1"] > 0.5
    pipe = Pipeline(profile_config("accurate", encoder=str(tmp_path / "model")))
    assert pipe.analyze(["とても働きやすい職場です"])[0].sentiment == "positive"


def test_model_card_of_a_model_trained_on_your_labels(tiny_encoder, tmp_path):
    spec = importlib.util.spec_from_file_location("train_script", REPO / "scripts" / "train.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    out = tmp_path / "mine"
    shutil.copytree(tiny_encoder, out)
    config = json.loads((out / "train_config.json").read_text())
    config["data"]["train_files"] = ["my_labels.train.csv"]  # as scripts/train.py --data sets
    (out / "train_config.json").write_text(json.dumps(config))
    metrics = json.loads((REPO / "models" / DEFAULT_ENCODER / "metrics.json").read_text())
    summary = {"parameters": 1, "n_examples": 40, "train_seconds": 6.0, "best_epoch": 1}
    card = module.model_card(out, metrics, summary)
    assert "`my_labels.train.csv`: your labelled comments" in card
    assert "employee-survey" not in card and "dev and tune are never" not in card
    themes = sum(
        b.startswith("theme:") for b in json.loads((out / "koe.json").read_text())["binary"]
    )
    assert f"per theme ({themes} themes)" in card
    where = out.resolve()
    assert f"--config {where}/train_config.json --output {where} --overwrite" in card
    # Trained without polarity files (data.polarity_files = []): the card names none.
    assert "not held out" not in card and "CC BY" not in card
    published = tmp_path / "published"
    card = module.model_card(out, metrics, summary, published=published)
    assert f"--output {published.resolve()} --overwrite" in card


def test_split_labels_script_parts_keep_a_validation_split(tmp_path):
    path = tmp_path / "labels.csv"
    rows = [f"コメント{i}です,positive,workload:positive" for i in range(200)]
    path.write_text("text,sentiment,themes\n" + "\n".join(rows) + "\n", encoding="cp932")
    subprocess.run(
        [sys.executable, str(REPO / "scripts" / "split_labels.py"), str(path), "--test", "0.2"],
        check=True, cwd=REPO, capture_output=True,
    )  # fmt: skip
    train, test = (
        load_labelled(tmp_path / "labels.train.csv"),
        load_labelled(tmp_path / "labels.test.csv"),
    )
    assert len(train) + len(test) == 200 and 20 < len(test) < 60
    assert (tmp_path / "labels.test.csv").read_bytes().startswith(b"\xef\xbb\xbf")  # Excel
    assert train[0]["themes"] == {"workload": "positive"}
    from nlp.evaluation import text_bucket

    assert any(text_bucket(r["text"]) < 0.1 for r in train)  # train.py's validation split


def test_split_labels_script_refuses_a_bad_share_or_an_empty_part(tmp_path):
    path = tmp_path / "labels.csv"
    path.write_text("text,sentiment\n良い,positive\n", encoding="utf-8")  # one row: one part
    script = str(REPO / "scripts" / "split_labels.py")
    for share, message in (("20", "between 0 and 1"), ("0.2", "part would be empty")):
        done = subprocess.run([sys.executable, script, str(path), "--test", share],
                              cwd=REPO, capture_output=True, text=True)  # fmt: skip
        assert done.returncode == 1 and message in done.stderr
        assert "Traceback" not in done.stderr


def test_training_does_not_replace_a_model_without_overwrite(tmp_path):
    from nlp.comment_model import prepare_model_dir, publish_model_dir

    out = tmp_path / "model"
    staging = prepare_model_dir(out, overwrite=False)  # nothing there yet
    assert staging == tmp_path / ".model.partial" and staging.is_dir()
    out.mkdir()
    for name in ("config.json", "metrics.json", "MODEL_CARD.md"):
        (out / name).write_text("{}")
    with pytest.raises(ConfigError, match="already holds a model.*--overwrite"):
        prepare_model_dir(out, overwrite=False)
    staging = prepare_model_dir(out, overwrite=True)  # the old model stays until published
    assert sorted(p.name for p in out.iterdir()) == ["MODEL_CARD.md", "config.json", "metrics.json"]
    (staging / "config.json").write_text('{"new": 1}')
    publish_model_dir(staging, out)  # the old evaluation no longer describes it
    assert sorted(p.name for p in out.iterdir()) == ["config.json"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]
    other = tmp_path / "documents"
    other.mkdir()
    (other / "notes.txt").write_text("mine")
    with pytest.raises(ConfigError, match="holds files but no model"):
        prepare_model_dir(other, overwrite=True)
    done = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "train_linear.py"), "--output", str(out)],
        cwd=REPO, capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 1 and "already holds a model" in done.stderr


def _train_script():
    spec = importlib.util.spec_from_file_location("train_script", REPO / "scripts" / "train.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _snapshot(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in directory.iterdir()}


@pytest.fixture
def my_labels(tmp_path) -> tuple[Path, Path]:
    """A researcher's labels (JSONL) and the tiny training config (JSON)."""
    labels, config = tmp_path / "labels.jsonl", tmp_path / "tiny.json"
    labels.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in _records(40)))
    config.write_text(json.dumps(TINY))
    return labels, config


def _existing_model(tiny_encoder: Path, tmp_path: Path) -> Path:
    """A trained model with its metrics at ``tmp_path/mine``, for runs that replace it."""
    out = tmp_path / "mine"
    shutil.copytree(tiny_encoder, out)
    (out / "metrics.json").write_text("{}")
    return out


def test_a_failed_overwrite_leaves_the_old_model_untouched(
    tiny_encoder, my_labels, tmp_path, monkeypatch
):
    train = _train_script()
    labels, config = my_labels
    out = _existing_model(tiny_encoder, tmp_path)
    before = _snapshot(out)
    options = ["--overwrite", "--no-evaluate", "model.hidden_size=33", "model.vocab_size=200"]
    argv = ["train.py", "--config", str(config), "--data", str(labels), "--output", str(out)]
    monkeypatch.setattr(sys, "argv", argv + options)
    with pytest.raises(ValueError):  # 33 is no multiple of 2 heads: after the vocabulary
        train.main()
    assert _snapshot(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        ".mine.lock",
        "labels.jsonl",
        "mine",
        "tiny.json",
    ]
    fresh = tmp_path / "fresh"  # a failed first run leaves nothing behind
    monkeypatch.setattr(sys, "argv", [*argv[:-1], str(fresh), *options])
    with pytest.raises(ValueError):
        train.main()
    assert not fresh.exists() and not (tmp_path / ".fresh.partial").exists()


def test_an_interrupted_training_writes_nothing(tiny_encoder, my_labels, tmp_path, monkeypatch):
    train = _train_script()
    labels, config = my_labels
    out = _existing_model(tiny_encoder, tmp_path)
    before = _snapshot(out)

    def interrupted(config, out_dir, **kwargs):
        (out_dir / "vocab.txt").write_text("[PAD]\n")
        raise KeyboardInterrupt

    monkeypatch.setattr(train, "train_encoder", interrupted)
    argv = ["--config", str(config), "--data", str(labels), "--output", str(out), "--overwrite"]
    monkeypatch.setattr(sys, "argv", ["train.py", *argv])
    with pytest.raises(SystemExit, match=f"^interrupted; {re.escape(str(out))} was not written$"):
        train.main()
    assert _snapshot(out) == before and not (tmp_path / ".mine.partial").exists()


def test_a_successful_overwrite_replaces_the_whole_directory(
    tiny_encoder, my_labels, tmp_path, monkeypatch
):
    train = _train_script()
    labels, config = my_labels
    out = _existing_model(tiny_encoder, tmp_path)
    seen = []

    def fake(config, out_dir, **kwargs):
        seen.append((config.name, out_dir))
        (out_dir / "config.json").write_text("{}")
        return {"best_epoch": 1, "valid": {}, "train_seconds": 0.0}

    monkeypatch.setattr(train, "train_encoder", fake)
    monkeypatch.setattr(sys, "argv", ["train.py", "--data", str(labels), "--output", str(out),
                                      "--overwrite", "--no-evaluate"])  # fmt: skip
    train.main()
    assert seen == [("mine", tmp_path / ".mine.partial")]  # named after --output
    assert sorted(p.name for p in out.iterdir()) == ["config.json", "training.json"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        ".mine.lock",
        "labels.jsonl",
        "mine",
        "tiny.json",
    ]


def test_training_config_errors_are_one_line_each():
    train = _train_script()

    def load(*overrides: str, output: str | None = None) -> TrainConfig:
        args = argparse.Namespace(config=None, overrides=list(overrides),
                                  output=Path(output) if output else None)  # fmt: skip
        return train.load_config(args)

    assert load(output="out/my-model/").name == "my-model"
    assert load("name=x", output="out/my-model").name == "x"
    args = argparse.Namespace(config=REPO / "configs" / "distil.toml", overrides=[],
                              output=Path("out/student"))  # fmt: skip
    assert train.load_config(args).name == "student"
    with pytest.raises(ConfigError) as caught:
        load("optim.epochs=0", "optim.batch_size=0", "model.num_heads=-1")
    lines = str(caught.value).splitlines()
    assert lines[0] == "invalid training config:" and len(lines) == 4
    assert (
        lines[1].strip() == "model.num_heads: Input should be greater than or equal to 1 (got -1)"
    )
    assert "http" not in str(caught.value)
    for name in ("", "a/b", "..", "."):
        with pytest.raises(ConfigError, match="one directory name"):
            load(f"name={json.dumps(name)}")


def test_a_missing_base_checkpoint_is_named(tmp_path):
    config = TrainConfig.model_validate(
        {**TINY, "model": {**TINY["model"], "base_model": str(tmp_path / "nonexistent")}}
    )
    with pytest.raises(ConfigError, match="model.base_model: no such checkpoint directory: "):
        train_encoder(config, tmp_path / "out", records=_records(30))


def test_without_intent_labels_there_is_no_intent_head(tmp_path):
    records = [{k: v for k, v in r.items() if k != "intent"} for r in _records(40)]
    out = tmp_path / "no-intent"
    summary = train_encoder(TrainConfig.model_validate(TINY), out, records=records)
    assert summary["valid"]["intent_accuracy"] is None  # null, not 0.0
    assert all(epoch["intent_accuracy"] is None for epoch in summary["history"])
    assert list(json.loads((out / "koe.json").read_text())["labels"]) == ["sentiment"]
    probs = EncoderCommentModel.load(str(out)).predict_proba(["残業が多い"])
    assert set(probs) == {"sentiment", "binary"}


def test_clause_targets_use_the_pack_column():
    from nlp.encoder.train import _example

    class Matcher:
        def __init__(self, theme: str | None):
            self.theme = theme

        def match(self, tokens):
            return [SimpleNamespace(start=0, theme_id=self.theme)] if self.theme else []

    matchers = {"employee": Matcher(None), "customer": Matcher("delivery")}
    record = {"themes": {"delivery": "negative"}, "pack": "customer"}
    clauses, targets = _example("配送が遅い。でも商品は良い", "mixed", matchers, record)
    assert len(clauses) == 2 and targets[0] == 1  # SENTIMENTS.index("negative")
    _, targets = _example("配送が遅い。でも商品は良い", "mixed", matchers, {**record, "pack": ""})
    assert targets == [-100, -100]


@pytest.mark.parametrize(
    ("damage", "problem"),
    [
        (
            lambda d: (d / "model.safetensors").write_bytes(b"x" * 10),
            "model.safetensors is damaged",
        ),
        (lambda d: (d / "heads.safetensors").write_bytes(b""), "heads.safetensors is damaged"),
        (lambda d: (d / "koe.json").write_text('{"name": "x"}'), "koe.json has no 'labels'"),
        (lambda d: (d / "koe.json").write_text("not json"), "koe.json is not valid JSON"),
        (lambda d: (d / "vocab.txt").unlink(), "vocab.txt is missing"),
        (lambda d: (d / "heads.safetensors").unlink(), "heads.safetensors is missing"),
        (lambda d: _edit_json(d / "koe.json", binary=["alert"]), "heads.safetensors does not"),
        (lambda d: _edit_json(d / "config.json", num_hidden_layers=3), "2 missing weights"),
        (lambda d: _edit_json(d / "config.json", model_type="gpt2"), "unexpected weights"),
        (lambda d: _edit_json(d / "config.json", hidden_size=64), "weights of other shapes"),
        (lambda d: (d / "config.json").write_text("{"), "config.json is not valid JSON"),
        (lambda d: (d / "koe.json").unlink(), "without koe.json"),
    ],
)
def test_a_damaged_model_directory_is_one_line_error(tiny_encoder, tmp_path, damage, problem):
    model = tmp_path / "damaged"
    shutil.copytree(tiny_encoder, model)
    damage(model)
    with pytest.raises(ModelLoadError) as caught:
        load_comment_model(str(model))
    message = str(caught.value)
    assert message.startswith("cannot load ") and f" from {model}: " in message
    assert problem in message and "\n" not in message


def _edit_json(path: Path, **changes: object) -> None:
    path.write_text(json.dumps({**json.loads(path.read_text()), **changes}))


# Distillation: a student with fewer of the teacher's layers, trained on its outputs.

DISTIL_TEXTS = ["残業が多すぎる", "上司に相談しやすいが、評価は不透明", "特になし"]


@pytest.fixture(scope="module")
def two_layers(tmp_path_factory):
    """A tiny 2-layer teacher (a few seconds)."""
    out = tmp_path_factory.mktemp("teacher") / "teacher"
    config = {**TINY, "name": "teacher", "model": {**TINY["model"], "num_layers": 2}}
    train_encoder(TrainConfig.model_validate(config), out, records=_records(40))
    return EncoderCommentModel.load(str(out)), out


def _batch(model: EncoderCommentModel):
    return [encode_clauses(model.tokenizer, (text,), 64) for text in DISTIL_TEXTS]


@pytest.mark.parametrize(
    ("total", "keep", "kept"),
    [(3, 2, [0, 2]), (4, 2, [0, 3]), (6, 3, [0, 2, 5]), (3, 3, [0, 1, 2]), (3, 1, [2])],
)
def test_kept_layers_are_evenly_spaced_first_and_last(total, keep, kept):
    assert kept_layers(total, keep) == kept


@pytest.mark.parametrize("keep", [0, 4])
def test_a_student_keeps_one_to_all_layers(keep):
    with pytest.raises(ConfigError):
        kept_layers(3, keep)


def test_a_student_with_every_layer_is_the_teacher(two_layers):
    teacher, _ = two_layers
    student = student_of(teacher.model, 2, dropout=0.0).eval()
    inputs = pad_batch(_batch(teacher), teacher.tokenizer.pad_token_id)
    with torch.inference_mode():
        ours, theirs = student(*inputs), teacher.model(*inputs)
    for head, logits in theirs.items():
        assert torch.allclose(ours[head], logits)


def test_a_student_keeps_the_last_layer_and_the_heads(two_layers):
    teacher, _ = two_layers
    student = student_of(teacher.model, 1, dropout=0.0)
    assert student.encoder.config.num_hidden_layers == 1
    assert len(teacher.model.encoder.encoder.layer) == 2  # the teacher is not changed
    last = teacher.model.encoder.encoder.layer[1].state_dict()
    for name, value in student.encoder.encoder.layer[0].state_dict().items():
        assert torch.equal(value, last[name])
    assert torch.equal(student.heads["binary"].weight, teacher.model.heads["binary"].weight)


def test_the_loss_is_lowest_for_the_teachers_own_outputs(two_layers):
    teacher, _ = two_layers
    rows = _batch(teacher)
    targets = teacher_outputs(teacher.model, rows, teacher.tokenizer.pad_token_id)
    assert [t.clause_sentiment.shape[0] for t in targets] == [1, 1, 1]
    inputs = pad_batch(rows, teacher.tokenizer.pad_token_id)
    with torch.inference_mode():
        own = teacher.model(*inputs)
        other = student_of(teacher.model, 1, dropout=0.0).eval()(*inputs)
    assert distillation_loss(own, targets) < distillation_loss(other, targets)


def test_distilling_writes_a_smaller_model_with_the_teachers_tokenizer(two_layers, tmp_path):
    teacher, teacher_dir = two_layers
    config = TrainConfig.model_validate(
        {**TINY, "name": "student", "model": {**TINY["model"], "teacher": str(teacher_dir)}}
    )
    out = tmp_path / "student"
    train_encoder(config, out, records=_records(40))
    assert json.loads((out / "config.json").read_text())["num_hidden_layers"] == 1
    assert (out / "vocab.txt").read_text() == (teacher_dir / "vocab.txt").read_text()
    student = EncoderCommentModel.load(str(out))
    assert student.binary == teacher.binary
    assert len(student.predict_proba(DISTIL_TEXTS)["sentiment"]) == 3


def test_a_teacher_and_a_base_checkpoint_exclude_each_other():
    with pytest.raises(ValidationError, match="exclude"):
        TrainConfig.model_validate({"model": {"teacher": "a", "base_model": "b"}})


def test_augmented_inputs_are_clauses_alone_and_comment_pairs():
    comments = [("残業が多い", "でも給料は良い"), ("特になし",)]
    extra = augmented_inputs(comments, seed=1)
    assert extra[:2] == [("残業が多い",), ("でも給料は良い",)]  # a one-clause comment adds none
    assert [pair[: len(c)] for pair, c in zip(extra[2:], comments, strict=True)] == comments
    assert all(pair[len(c) :] in comments for pair, c in zip(extra[2:], comments, strict=True))
    assert augmented_inputs(comments, seed=1) == extra


def test_a_teacher_must_have_the_heads_of_the_labels(two_layers, tmp_path):
    _, teacher_dir = two_layers
    config = TrainConfig.model_validate(
        {**TINY, "name": "student", "model": {**TINY["model"], "teacher": str(teacher_dir)}}
    )
    customers = load_labelled(REPO / "data" / "train" / "cus_commerce.jsonl")[:40]
    with pytest.raises(ValueError, match="teacher's heads"):
        train_encoder(config, tmp_path / "student", records=customers)


def test_a_second_training_run_to_the_same_model_fails_and_leaves_the_first_alone(tmp_path):
    from nlp.comment_model import staged_model_dir

    out = tmp_path / "model"
    with staged_model_dir(out, overwrite=False) as staging:
        (staging / "config.json").write_text("{}")
        with pytest.raises(ConfigError, match="another training run is writing"):
            with staged_model_dir(out, overwrite=True):
                pass
        assert (staging / "config.json").is_file()  # not discarded by the second run
    assert (out / "config.json").is_file()
    with staged_model_dir(out, overwrite=True) as staging:  # the lock was released
        (staging / "config.json").write_text('{"new": 1}')
    assert (out / "config.json").read_text() == '{"new": 1}'
    assert sorted(p.name for p in tmp_path.iterdir()) == [".model.lock", "model"]
