"""The README's first examples run as shown, with the shipped default models (offline)."""

import contextlib
import io
import re
from pathlib import Path

from typer.testing import CliRunner

from service.cli import app

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def _blocks(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", README, flags=re.S)


def _matches(shown: str, actual: str) -> bool:
    """A shown line ending in ``…`` is a prefix of the actual line."""
    return actual.startswith(shown[:-2]) if shown.endswith(" …") else actual == shown


def test_readme_python_example_prints_what_it_shows() -> None:
    code, shown = _blocks("python")[0], _blocks("text")[0]
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(code, {})  # noqa: S102 — the README's own example
    assert printed.getvalue() == shown


def test_readme_cli_example_prints_what_it_shows() -> None:
    command, shown = _blocks("sh")[1], _blocks("text")[1].splitlines()
    lines = re.search(r"printf '(.*?)'", command, flags=re.S).group(1).replace("\\n", "\n")
    result = CliRunner().invoke(app, ["analyze", "-", "--pack", "employee"], input=lines)
    assert result.exit_code == 0, result.output
    actual = result.stdout.splitlines()
    assert len(actual) == 2 and all(map(_matches, shown[:2], actual))
