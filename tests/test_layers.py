"""tools/check_layers.py: the real package is clean, and the checker really
catches cycles and layer violations in throwaway packages."""

import importlib.util
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("check_layers", REPO / "tools" / "check_layers.py")
check_layers = importlib.util.module_from_spec(_spec)
sys.modules.setdefault("check_layers", check_layers)
_spec.loader.exec_module(check_layers)


def make_pkg(tmp_path: Path, files: dict[str, str]) -> Path:
    """A fake package `qungui` under tmp_path; every directory gets an __init__.py."""
    root = tmp_path / "qungui"
    root.mkdir()
    (root / "__init__.py").write_text("")
    for rel, src in files.items():
        path = root / rel
        for parent in reversed(path.relative_to(root).parents[:-1]):
            init = root / parent / "__init__.py"
            init.parent.mkdir(parents=True, exist_ok=True)
            if not init.exists():
                init.write_text("")
        path.write_text(textwrap.dedent(src))
    return root


def check(root: Path) -> tuple[list[list[str]], list[str]]:
    graph = check_layers.import_graph(root)
    return check_layers.cycles(graph), check_layers.layer_violations(graph)


def test_real_package_has_no_cycles_or_layer_violations():
    root = REPO / "qungui"
    assert root.is_dir(), f"{root} not found"
    graph = check_layers.import_graph(root)
    found = check_layers.cycles(graph)
    assert not found, "\n".join(e for c in found for e in check_layers.cycle_edges(graph, c))
    assert check_layers.layer_violations(graph) == []


def test_cycle_made_only_by_an_import_inside_a_function(tmp_path):
    root = make_pkg(tmp_path, {
        "core/a.py": """
            def f():
                from qungui.core import b
                return b
        """,
        "core/b.py": "import qungui.core.a\n",
    })
    found, violations = check(root)
    assert found == [["qungui.core.a", "qungui.core.b"]]
    assert violations == []
    assert check_layers.main(["--root", str(root), "--quiet"]) == 1


def test_cycle_via_type_checking_block(tmp_path):
    root = make_pkg(tmp_path, {
        "core/a.py": """
            from typing import TYPE_CHECKING
            if TYPE_CHECKING:
                from qungui.core.b import Thing
        """,
        "core/b.py": """
            try:
                from qungui.core.a import Other
            except ImportError:
                pass
        """,
    })
    assert check(root)[0] == [["qungui.core.a", "qungui.core.b"]]


def test_relative_import_cycle(tmp_path):
    root = make_pkg(tmp_path, {
        "core/a.py": "from . import b\n",
        "core/b.py": "from .a import x\n",
    })
    graph = check_layers.import_graph(root)
    assert [i.target for i in graph["qungui.core.a"]] == ["qungui.core.b"]
    assert check_layers.cycles(graph) == [["qungui.core.a", "qungui.core.b"]]
    edges = check_layers.cycle_edges(graph, ["qungui.core.a", "qungui.core.b"])
    assert any(e.endswith("a.py:1: qungui.core.a imports qungui.core.b") for e in edges)


def test_module_importing_itself_is_a_cycle(tmp_path):
    root = make_pkg(tmp_path, {"core/a.py": "import qungui.core.b\nimport qungui.core.a\n",
                               "core/b.py": ""})
    assert check(root)[0] == [["qungui.core.a"]]


def test_relative_import_from_an_init_resolves_against_the_package_itself(tmp_path):
    root = make_pkg(tmp_path, {
        "core/__init__.py": "from . import a\n",
        "core/a.py": "from .. import core\n",
    })
    assert check(root)[0] == [["qungui.core", "qungui.core.a"]]


def test_upward_import_is_a_violation(tmp_path):
    root = make_pkg(tmp_path, {
        "core/events.py": "import qungui.pipeline.engine as engine\n",
        "pipeline/engine.py": "",
    })
    found, violations = check(root)
    assert found == []
    assert len(violations) == 1
    v = violations[0]
    assert "events.py:1: qungui.core.events imports qungui.pipeline.engine" in v
    assert "unit core rank 1 → unit pipeline rank 3: imports a higher layer" in v


def test_forbidden_sideways_import_is_a_violation(tmp_path):
    root = make_pkg(tmp_path, {
        "pipeline/engine.py": "\n\nfrom ..storage import repo\n",
        "storage/repo.py": "",
        "plugins/flood.py": "from qungui.storage.repo import Repo\n",  # same rank
    })
    violations = check(root)[1]
    assert len(violations) == 2
    assert "engine.py:3: qungui.pipeline.engine imports qungui.storage.repo" in violations[0]
    assert "imports a layer it may not use" in violations[0]
    assert "unit plugins rank 2 → unit storage rank 2: imports a layer it may not use" \
        in violations[1]


def test_package_root_may_import_nothing_from_the_package(tmp_path):
    root = make_pkg(tmp_path, {"core/events.py": ""})
    (root / "__init__.py").write_text("from .core import events\n")
    violations = check(root)[1]
    assert len(violations) == 1 and "qungui imports qungui.core.events" in violations[0]


def test_module_in_unknown_unit_is_an_error(tmp_path):
    root = make_pkg(tmp_path, {"gadgets/widget.py": "", "core/events.py": ""})
    violations = check(root)[1]
    assert any("qungui.gadgets.widget" in v and "not in any layer; add it to LAYERS" in v
               for v in violations)
    assert check_layers.main(["--root", str(root), "--quiet"]) == 1


def test_clean_package_passes(tmp_path, capsys):
    root = make_pkg(tmp_path, {
        "rules/__init__.py": "",
        # an __init__ importing its own submodules must not make a false cycle
        "core/__init__.py": "from .events import Message\n",
        "core/events.py": """
            from qungui import __version__
            from qungui.core.text import normalize
            from qungui.rules import locate
        """,
        "core/text.py": "def normalize(s): return s\n",
        "pipeline/engine.py": """
            from typing import TYPE_CHECKING
            from qungui.core import events, Message
            if TYPE_CHECKING:
                from ..core.text import normalize
        """,
        "storage/repo.py": "import qungui.core.events as ev\nimport sqlalchemy\n",
        "app.py": "from qungui.pipeline import engine\nfrom qungui.storage import repo\n",
        "cli/main.py": "def run():\n    import qungui.app\n    import qungui.core\n",
    })
    (root / "__init__.py").write_text("__version__ = '0'\nimport os\n")
    graph = check_layers.import_graph(root)
    targets = {m: sorted(i.target for i in imps) for m, imps in graph.items()}
    assert targets["qungui.pipeline.engine"] == [
        "qungui.core", "qungui.core.events", "qungui.core.text"]
    assert targets["qungui.core.events"] == ["qungui", "qungui.core.text", "qungui.rules"]
    assert targets["qungui.cli.main"] == ["qungui.app", "qungui.core"]
    assert targets["qungui"] == []
    assert check_layers.cycles(graph) == []
    assert check_layers.layer_violations(graph) == []
    assert check_layers.main(["--root", str(root), "--quiet"]) == 0
    assert capsys.readouterr().out == ""
