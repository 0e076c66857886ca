"""The layers import one way: task types use the services, the services use only the task
registry. No import is hidden inside a function to dodge a cycle between them."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from tests.hostmaster.helpers import project_root

PACKAGE = project_root() / "hostmaster"
TYPE_MODULES = ["platform", "platform_migrate", "server", "site", "site_moves"]


def services() -> list[str]:
    return sorted(f"hostmaster.services.{path.stem}"
                  for path in (PACKAGE / "services").glob("*.py") if path.stem != "__init__")


def test_importing_the_services_imports_no_task_type() -> None:
    check = (f"import sys, {', '.join(services())}; "
             "print(' '.join(m for m in sys.modules if m.startswith('hostmaster.tasks.')))")
    done = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True,
                          cwd=project_root(), check=True)
    loaded = set(done.stdout.split())
    assert loaded <= {"hostmaster.tasks.registry"}
    assert not {f"hostmaster.tasks.{name}" for name in TYPE_MODULES} & loaded


def function_level_imports(path: Path) -> list[str]:
    """``from`` imports of hostmaster modules made inside a function of ``path``."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            found += [f"{path.name}:{inner.lineno} from {'.' * inner.level}{inner.module}"
                      for inner in ast.walk(node)
                      if isinstance(inner, ast.ImportFrom) and inner.level > 0]
    return found


def test_task_types_import_the_services_at_the_top_of_their_modules() -> None:
    hidden = [line for name in [*TYPE_MODULES, "views", "forms", "site_move_forms", "builtin"]
              for line in function_level_imports(PACKAGE / "tasks" / f"{name}.py")]
    assert hidden == []
