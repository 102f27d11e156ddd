import pkgutil
import subprocess
import sys

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
