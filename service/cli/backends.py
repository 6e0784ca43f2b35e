"""``koe backends list`` and ``koe packs list``: what can be plugged in by name."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from service.cli._app import app

__all__ = ["backends_app", "packs_app"]

backends_app = typer.Typer(help="Registered sentiment backends.", no_args_is_help=True)
packs_app = typer.Typer(help="Built-in theme packs.", no_args_is_help=True)
app.add_typer(backends_app, name="backends")
app.add_typer(packs_app, name="packs")

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]


@backends_app.command("list")
def list_backends(as_json: JsonFlag = False) -> None:
    """List the sentiment backends that a config may name."""
    import nlp.sentiment  # noqa: F401 — registers the built-in backends
    from nlp.registry import sentiment_backends

    names = sentiment_backends.names()
    typer.echo(json.dumps({"sentiment_backends": names}) if as_json else "\n".join(names))


@packs_app.command("list")
def list_packs(as_json: JsonFlag = False) -> None:
    """List the built-in theme packs with their themes (日本語 / English)."""
    from nlp.themes import available_packs, load_pack

    packs = [load_pack(name) for name in available_packs()]
    if as_json:
        typer.echo(json.dumps([p.model_dump(mode="json") for p in packs], ensure_ascii=False))
        return
    for pack in packs:
        typer.echo(f"{pack.id}: {pack.label.ja} / {pack.label.en}")
        for theme in pack.themes:
            typer.echo(f"  {theme.id:<26} {theme.label.ja} / {theme.label.en}")
