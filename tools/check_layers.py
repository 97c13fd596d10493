"""Check the import structure of the `qungui` package: no import cycles, and
every import respects the layer table.

The import graph is built from the source with `ast` (the code is never
imported). Every import statement counts, wherever it is: module level, inside
functions, under `if TYPE_CHECKING:`, inside try/except. Only imports of
modules inside the package matter. Importing `a.b.c` counts as an edge to
`a.b.c` only, not to the packages `a` and `a.b` it implicitly loads.

Checks:
  * cycles: every strongly connected component of the module graph with more
    than one module, or a module importing itself;
  * layers: `LAYERS` below is the table documented in docs/architecture.md.
    A unit is the first name after `qungui.` (`core` for qungui.core.events,
    `config` for qungui/config.py). A unit may import itself, the bare
    `qungui` package, and the units listed for it; anything else is a
    violation. A module in no listed unit is an error too, so the table
    cannot go stale. The root `qungui/__init__.py` may import nothing from
    the package.

Usage: python tools/check_layers.py [--root PATH] [--quiet]; exit 0 when clean.
"""

import argparse
import ast
import sys
from dataclasses import dataclass
from pathlib import Path

DEFAULT_ROOT = Path(__file__).resolve().parent.parent / "qungui"

# unit -> (rank, units it may import); lowest layer first
LAYERS: dict[str, tuple[int, frozenset[str]]] = {
    "rules": (0, frozenset()),  # locates the rulebook, lexicons, models (package data)
    "core": (1, frozenset({"rules"})),  # domain: events, text, matcher, rulebook, ports
    "plugins": (2, frozenset({"core", "rules"})),  # one module per rule
    "storage": (2, frozenset({"core", "rules"})),  # SQLAlchemy adapters for core's ports
    "pipeline": (3, frozenset({"core", "rules"})),  # engine: inspection, policy, decision stage
    "review": (3, frozenset({"core", "storage"})),  # incident-log presentation (web, cli)
    "commands": (4, frozenset({"core", "pipeline"})),  # owners' group commands
    "channels": (4, frozenset({"core", "pipeline"})),  # wechaty, console, replay, exports
    "config": (5, frozenset({"core", "rules", "storage"})),
    "app": (6, frozenset({"core", "rules", "plugins", "storage", "pipeline", "commands",
                          "channels", "config", "review"})),
    "web": (7, frozenset({"core", "rules", "storage", "review", "config", "app"})),
}
LAYERS["cli"] = (8, frozenset(LAYERS))  # everything below it


@dataclass(frozen=True)
class Import:
    target: str  # imported module, e.g. "qungui.core.events"
    file: Path
    line: int


def _module_name(root: Path, path: Path) -> str:
    parts = [root.name, *path.relative_to(root).with_suffix("").parts]
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def import_graph(root: Path) -> dict[str, list[Import]]:
    """Every module of the package -> its imports of modules in the package."""
    root = Path(root).resolve()
    pkg = root.name
    files = {_module_name(root, p): p for p in sorted(root.rglob("*.py"))}

    def existing(name: str) -> str:
        # `import a.b.c` of a missing module: fall back to the longest existing prefix
        while name not in files and "." in name:
            name = name.rpartition(".")[0]
        return name

    graph: dict[str, list[Import]] = {}
    for mod, path in files.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        # the package relative imports start from: the module itself for an __init__
        package = mod if path.name == "__init__.py" else mod.rpartition(".")[0]
        targets: list[tuple[str, int]] = []
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                targets += [(a.name, node.lineno) for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    parts = package.split(".")
                    if node.level - 1 >= len(parts):
                        continue  # beyond the top package: not ours
                    base = ".".join(parts[: len(parts) - node.level + 1])
                    base = f"{base}.{node.module}" if node.module else base
                else:
                    base = node.module or ""
                for a in node.names:
                    sub = f"{base}.{a.name}"
                    targets.append((sub if a.name != "*" and sub in files else base, node.lineno))
        # one edge per (target, line): `from m import a, b` names m once
        graph[mod] = list(dict.fromkeys(Import(existing(t), path, line) for t, line in targets
                                        if t == pkg or t.startswith(pkg + ".")))
    return graph


def cycles(graph: dict[str, list[Import]]) -> list[list[str]]:
    """Strongly connected components forming cycles (iterative Tarjan), sorted."""
    succ = {m: sorted({i.target for i in imps}) for m, imps in graph.items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in sorted(succ):
        if start in index:
            continue
        work = [(start, iter(succ[start]))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, it = work[-1]
            for nxt in it:
                if nxt not in index:
                    index[nxt] = low[nxt] = len(index)
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(succ.get(nxt, ()))))
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    comp = []
                    while True:
                        m = stack.pop()
                        on_stack.discard(m)
                        comp.append(m)
                        if m == node:
                            break
                    if len(comp) > 1 or node in succ.get(node, ()):
                        found.append(sorted(comp))
    return sorted(found)


def cycle_edges(graph: dict[str, list[Import]], component: list[str]) -> list[str]:
    """The import lines (file:line) inside one cycle."""
    members = set(component)
    return [f"{i.file}:{i.line}: {m} imports {i.target}"
            for m in component for i in graph.get(m, ()) if i.target in members]


def _unit(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def layer_violations(graph: dict[str, list[Import]]) -> list[str]:
    """One message per import breaking LAYERS, and per module in no layer."""
    out = []
    for mod in sorted(graph):
        src = _unit(mod)
        if src and src not in LAYERS:
            out.append(f"{mod}: unit {src!r} is not in any layer; add it to LAYERS")
            continue
        for imp in graph[mod]:
            dst = _unit(imp.target)
            if dst == src or not dst or dst not in LAYERS:
                continue  # same unit, bare package, or unknown unit (reported itself)
            where = f"{imp.file}:{imp.line}: {mod} imports {imp.target}"
            d_rank = LAYERS[dst][0]
            if not src:
                out.append(f"{where} (package root → unit {dst} rank {d_rank}: "
                           "the root may import nothing from the package)")
                continue
            s_rank, allowed = LAYERS[src]
            if dst in allowed:
                continue
            why = "imports a higher layer" if d_rank > s_rank else "imports a layer it may not use"
            out.append(f"{where} (unit {src} rank {s_rank} → unit {dst} rank {d_rank}: {why})")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--root", type=Path, default=DEFAULT_ROOT, help="the package directory")
    parser.add_argument("--quiet", action="store_true", help="print only problems")
    args = parser.parse_args(argv)
    if not args.root.is_dir():
        print(f"check_layers: {args.root} is not a directory", file=sys.stderr)
        return 1
    try:
        graph = import_graph(args.root)
    except SyntaxError as exc:
        print(f"{exc.filename}:{exc.lineno}: syntax error: {exc.msg}")
        return 1
    found = cycles(graph)
    for comp in found:
        print(f"import cycle among {len(comp)} module(s): {', '.join(comp)}")
        for edge in cycle_edges(graph, comp):
            print(f"    {edge}")
    violations = layer_violations(graph)
    for v in violations:
        print(v)
    if found or violations or not args.quiet:
        edges = sum(len(v) for v in graph.values())
        print(f"check_layers: {len(graph)} modules, {edges} internal imports: "
              f"{len(found)} cycle(s), {len(violations)} layer violation(s)")
    return 1 if found or violations else 0


if __name__ == "__main__":
    sys.exit(main())
