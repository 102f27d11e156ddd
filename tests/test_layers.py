import pkgutil
import subprocess
import sys
from pathlib import Path

import memo_core


def test_memo_core_imports_nothing_from_prefect():
    modules = [m.name for m in pkgutil.walk_packages(memo_core.__path__, "memo_core.")]
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "print(sorted(m for m in sys.modules if m == 'prefect' or m.startswith('prefect.')))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert len(modules) > 10
    assert result.stdout.strip() == "[]"


def test_reading_the_config_loads_no_model_or_tracking_code():
    code = (
        "import sys, memo_core.config\n"
        "heavy = {'torch', 'transformers', 'mlflow', 'prefect'}\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & heavy))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_stages_import_only_the_stages_before_them():
    """The import-linter contract in pyproject.toml: sources < plan < reflections < memory < training <
    executive < evaluation < registry < serving, shared modules below all."""
    lint_imports = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([lint_imports], capture_output=True, text=True, cwd=Path(__file__).parents[1])
    assert result.returncode == 0, result.stdout[-3000:]
    assert "1 kept, 0 broken" in result.stdout
