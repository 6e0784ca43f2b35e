"""``koe topics``: BERTopic topics of a batch of comments, linked to the theme pack."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Annotated, Any

import typer

from service.cli._app import app, user_errors

__all__ = ["topics_command"]


@app.command("topics")
def topics_command(
    input: Annotated[str, typer.Argument(help="CSV, JSON(L) (also koe analyze output) or XLSX.")],
    output: Annotated[str, typer.Option("-o", "--output", help="topics.json to write.")],
    pack: Annotated[str, typer.Option(help="Theme pack id or pack .yaml path.")] = "employee",
    min_topic_size: Annotated[
        int,
        typer.Option(
            min=2,
            help="Smallest typical topic size: sets the number of topics to comments ÷ "
            "(2 × size), at least 2 and at most 40, so topics average twice this; single ones "
            "may be smaller.",
        ),
    ] = 10,
    group_column: Annotated[str, typer.Option(help="Column for per-group topics.")] = "",
    time_column: Annotated[
        str,
        typer.Option(
            "--time-column",
            "--wave-column",
            help="Survey wave column (labels such as 2024Q1, in natural order): per-wave "
            "topics and rising/falling topics.",
        ),
    ] = "",
    text_column: Annotated[str, typer.Option(help="Column holding the comment.")] = "text",
    id_column: Annotated[str, typer.Option(help="Column holding the comment id.")] = "id",
    html: Annotated[str, typer.Option(help="Also write a standalone Plotly HTML file.")] = "",
    save_model: Annotated[
        str, typer.Option(help="Also save the fitted topic model to this directory.")
    ] = "",
    model: Annotated[
        str,
        typer.Option(
            help="Assign the comments to the topics of a model saved with --save-model "
            "(e.g. an earlier wave's) instead of discovering new ones; --pack and "
            "--min-topic-size then come from the model.",
        ),
    ] = "",
    pii_terms: Annotated[
        str, typer.Option(help="Comma-separated extra terms to redact (sites, teams).")
    ] = "",
) -> None:
    """Discover topics and map each to a taxonomy theme (or "new")."""
    with user_errors(input, ValueError):
        _run(input, output, pack, min_topic_size, group_column, time_column, text_column,
             id_column, html, save_model, model, pii_terms)  # fmt: skip


def _run(
    input: str,
    output: str,
    pack: str,
    min_topic_size: int,
    group_column: str,
    time_column: str,
    text_column: str,
    id_column: str,
    html: str,
    save_model: str,
    saved: str,
    pii_terms: str,
) -> None:
    from nlp.themes import load_pack
    from nlp.topics import TopicConfig, TopicModel, result_from_model

    terms = tuple(t.strip() for t in pii_terms.split(",") if t.strip())
    config = TopicConfig(pack=pack, min_topic_size=min_topic_size, pii_terms=terms)
    load_pack(pack)  # a bad pack fails before reading
    ids, texts, groups, times = _read(input, text_column, id_column, group_column, time_column)
    if saved:
        model = TopicModel.load(saved)
        if terms:  # the saved model's terms and these
            joined = tuple(dict.fromkeys([*model.config.pii_terms, *terms]))
            model.config = model.config.model_copy(update={"pii_terms": joined})
        model.assign(texts)
    else:
        model = TopicModel(config).fit(texts)
    if save_model:
        model.save(save_model)
    result = result_from_model(model, texts, ids, groups=groups, times=times)
    Path(output).write_text(
        json.dumps(result.to_dict(), ensure_ascii=False, indent=2) + "\n", "utf-8"
    )
    if html:
        _write_html(model, result, Path(html))
    repeated = len(ids) - len(set(ids))
    if repeated:
        typer.echo(
            f"koe: warning: {repeated} row(s) repeat an earlier id; `assignments` keeps one "
            "topic per id, so give every row its own id (e.g. respondent and wave)",
            err=True,
        )
    suppressed = dict(result.suppressed or {})
    small_topics = len(suppressed.pop("topics", []))
    hidden = sum(len(v) for v in suppressed.values())
    note = f", {hidden} small group(s)/wave(s) hidden" if hidden else ""
    if small_topics:
        note += (
            f", {small_topics} topic(s) hidden (fewer than {model.config.min_group_size} "
            "comments outside small groups)"
        )
    typer.echo(
        f"koe: {len(result.topics)} topics over {len(texts)} comments, "
        f"outliers {result.outlier_share:.1%}{note} → {output}",
        err=True,
    )


def _read(
    input: str, text_column: str, id_column: str, group_column: str, time_column: str
) -> tuple[list[str], list[str], list[str] | None, list[str] | None]:
    from nlp.errors import ColumnError
    from nlp.io import read_records

    columns = [c for c in (group_column, time_column) if c]

    def read(column: str) -> list[Any]:
        return list(read_records(input, text_column=column, id_column=id_column,
                                 group_columns=columns))  # fmt: skip

    # koe analyze's output has only text_redacted: read it when the text column is missing
    # (then it fails too, and the first error stands, unless that was the only problem).
    try:
        records = read(text_column)
    except ColumnError as error:
        if text_column != "text":
            raise
        try:
            records = read("text_redacted")
        except ColumnError:
            raise error from None
    if text_column == "text" and records and all(_no_text(r) for r in records):
        with contextlib.suppress(ColumnError):  # JSON(L) with no "text" field in any item
            records = read("text_redacted")
    kept = [r for r in records if r.error is None and r.text and r.text.strip()]
    if len(kept) < 2:
        raise ValueError(f"{input}: need at least 2 non-empty comments, found {len(kept)}")
    ids = [r.id for r in kept]
    texts = [r.text or "" for r in kept]
    groups = [_label(r.attributes.get(group_column)) for r in kept] if group_column else None
    times = [_label(r.attributes.get(time_column)) for r in kept] if time_column else None
    return ids, texts, groups, times


def _no_text(record: Any) -> bool:
    return record.error is not None and record.error.code == "missing_text"


def _label(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _write_html(model: Any, result: Any, path: Path) -> None:
    """Topic table, words, a 2-D map of comments and topics per wave; plotly JS inline."""
    from sklearn.decomposition import TruncatedSVD

    bertopic = model.bertopic_
    parts = [_topic_table(result, model.config.pack)]
    largest = sorted(result.topics, key=lambda t: (-t.size, t.id))[:12]  # hidden ones left out
    if largest:
        parts.append(bertopic.visualize_barchart(
            topics=[t.id for t in largest], n_words=8, title="トピックの代表語 / Topic words"
        ))  # fmt: skip
    reduced = TruncatedSVD(2, random_state=model.config.seed).fit_transform(model.embeddings_)
    # comments a saved model could not place (-1) have no topic to draw in a k-means model;
    # nor do the comments of hidden topics
    topics = list(bertopic.topics_)
    listed = {t.id for t in result.topics} | ({-1} if bertopic.get_topic(-1) else set())
    shown = [i for i, t in enumerate(topics) if t in listed]
    bertopic.topics_ = [topics[i] for i in shown]
    ids = list(result.assignments)  # hover shows the comment's id (when ids repeat: its
    # position among the comments with text)
    names = ids if len(ids) == len(topics) else [str(i + 1) for i in range(len(topics))]
    try:
        if shown:  # nothing to draw when every topic is hidden
            parts.append(
                bertopic.visualize_documents(
                    [names[i] for i in shown],
                    reduced_embeddings=reduced[shown],
                    hide_annotations=True,
                    title="コメントの分布 / Comments and topics",
                )  # fmt: skip
            )
    finally:
        bertopic.topics_ = topics
    if result.trends is not None:
        parts.append(_over_time(model, result))
    body = [fig.to_html(full_html=False, include_plotlyjs=(i == 0)) for i, fig in enumerate(parts)]
    page = "<!DOCTYPE html><html><head><meta charset='utf-8'><title>koe topics</title></head>"
    path.write_text(page + "<body>" + "\n".join(body) + "</body></html>\n", "utf-8")


def _topic_table(result: Any, pack_id: str) -> Any:
    """Each topic with its linked themes (Japanese / English), sizes and a redacted example."""
    import plotly.graph_objects as go  # type: ignore[import-untyped]

    from nlp.themes import load_pack

    labels = {t.id: f"{t.label.ja} / {t.label.en}" for t in load_pack(pack_id).themes}
    rows = [(t.id, t.label, "<br>".join(labels.get(link.id, link.id) for link in t.themes)
             or "新規 / new", t.size, t.also_size, (t.representative_texts or [""])[0])
            for t in result.topics]  # fmt: skip
    header = ["トピック / topic", "ラベル / label", "テーマ / themes", "件数 / comments",
              "他トピックからも / also", "代表コメント / example"]  # fmt: skip
    columns = [list(column) for column in zip(*rows, strict=True)]
    table = go.Table(header={"values": header}, cells={"values": columns},
                     columnwidth=[1, 3, 3, 1, 1, 8])  # fmt: skip
    layout = {"title": "トピック一覧 / Topics", "height": 160 + 60 * len(rows)}
    return go.Figure(table, layout=layout)


def _over_time(model: Any, result: Any) -> Any:
    """BERTopic's topics-over-time chart of the shown waves, wave labels on the x axis."""
    import pandas as pd  # type: ignore[import-untyped]

    waves = result.trends.waves
    frame = pd.DataFrame(
        [(g.topic, ", ".join(g.words), g.size, at)
         for at, wave in enumerate(waves) for g in result.per_time[wave]],
        columns=["Topic", "Words", "Frequency", "Timestamp"],
    )  # fmt: skip
    fig = model.bertopic_.visualize_topics_over_time(
        frame, top_n_topics=10, title="トピックの推移 / Topics over waves"
    )
    fig.update_xaxes(tickmode="array", tickvals=list(range(len(waves))), ticktext=waves)
    return fig
