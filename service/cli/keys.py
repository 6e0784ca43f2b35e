"""``koe keys create|list|revoke``: API keys of tenants (stored hashed)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Literal

import typer

from service.cli._app import app, fail, load_settings, open_database

if TYPE_CHECKING:
    from service.storage import KeyStore

__all__ = ["keys_app"]

keys_app = typer.Typer(help="Create, list and revoke API keys.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")


def _store() -> KeyStore:
    from service.storage import KeyStore

    return KeyStore(open_database(load_settings()))


@keys_app.command("create")
def create_command(
    tenant: Annotated[str, typer.Option(help="Tenant name (created if new).")],
    scope: Annotated[
        Literal["full", "reports"],
        typer.Option(help="full: every endpoint; reports: only packs, models and reports."),
    ] = "full",
) -> None:
    """Create a key; it is printed once, alone on the last line of stdout."""
    if not tenant.strip() or len(tenant) > 200:
        raise fail("the tenant name must be 1 to 200 characters")
    store = _store()
    key, info = store.create(tenant.strip(), scope)
    typer.echo(
        f"Created a {info.scope} key {info.prefix}… (id {info.id}) for tenant {info.tenant!r}."
    )
    typer.echo("Store it now: it cannot be shown again.")
    typer.echo(key)


@keys_app.command("list")
def list_command(
    tenant: Annotated[str | None, typer.Option(help="Only this tenant's keys.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON Lines output.")] = False,
) -> None:
    """List keys (prefix, tenant, scope, dates); the keys themselves are not stored."""
    store = _store()
    for info in store.list(tenant):
        if as_json:
            typer.echo(
                json.dumps(
                    {
                        "id": info.id,
                        "tenant": info.tenant,
                        "prefix": info.prefix,
                        "scope": info.scope,
                        "created_at": info.created_at,
                        "revoked_at": info.revoked_at,
                    },
                    ensure_ascii=False,
                )
            )
        else:
            state = f"revoked {_date(info.revoked_at)}" if info.revoked_at else "active"
            typer.echo(
                f"{info.id}\t{info.prefix}…\t{info.tenant}\t{info.scope}\t"
                f"created {_date(info.created_at)}\t{state}"
            )


@keys_app.command("revoke")
def revoke_command(
    key: Annotated[
        str,
        typer.Argument(
            help="The key's id or its 12-character prefix, as `koe keys list` shows them "
            "(e.g. koe_AbCdEfGh), or the full key. A shorter or longer prefix matches nothing."
        ),
    ],
) -> None:
    """Revoke a key: requests with it get 401 from now on.

    Give the id or the whole prefix that `koe keys list` shows, or the full key.
    """
    store = _store()
    count = store.revoke_id(int(key)) if key.isdigit() else store.revoke(key.rstrip("…"))
    if count == 0:
        raise fail(
            f"no active key matches {key!r}: give the id or the 12-character prefix that "
            "`koe keys list` shows, or the full key"
        )
    typer.echo(f"Revoked {count} key{'s' if count > 1 else ''}.")


def _date(timestamp: float | None) -> str:
    if timestamp is None:
        return "-"
    return datetime.fromtimestamp(timestamp, tz=UTC).strftime("%Y-%m-%d %H:%M UTC")
