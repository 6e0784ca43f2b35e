"""The library never imports the web or database stack; ``service`` imports ``nlp``."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = {"fastapi", "sqlalchemy", "starlette", "uvicorn", "alembic", "service"}


def imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            roots.add(node.module.split(".")[0])
    return roots


def test_layering_nlp_has_no_web_or_db_imports():
    offenders = {
        str(path.relative_to(ROOT)): sorted(imported_roots(path) & FORBIDDEN)
        for path in (ROOT / "nlp").rglob("*.py")
        if imported_roots(path) & FORBIDDEN
    }
    assert offenders == {}
