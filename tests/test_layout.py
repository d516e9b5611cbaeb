"""The package's shape: stages import only earlier stages, no import circle, no
Pyomo solver internals, a short top level.

Every ``import`` and ``from ... import`` in ``hubopt/`` is read with :mod:`ast`,
including those inside functions (a lazy import is still an arrow).
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "hubopt"

# The pipeline, first stage first: a module may import its own stage and earlier ones.
STAGES = ["data", "errors", "files", "inputs", "model", "solver", "outputs", "studies", "batch",
          "api", "cli", "__main__", "__init__"]


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _imports(path: Path) -> set[str]:
    """The hubopt modules that ``path`` imports (a name imported from a package that
    is itself a module counts as that module)."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.startswith("hubopt")}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            elif (node.module or "").startswith("hubopt"):
                target = node.module
            else:
                continue
            found.add(target)
            found |= {f"{target}.{alias.name}" for alias in node.names}
    return found


def _graph() -> dict[str, set[str]]:
    modules = {_module_name(path): path for path in PACKAGE.rglob("*.py")}
    return {name: {target for target in _imports(path) if target in modules and target != name}
            for name, path in modules.items()}


def _stage(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def test_the_graph_reader_sees_relative_and_lazy_imports():
    graph = _graph()
    assert "hubopt.errors" in graph["hubopt.batch.scenario_run"]
    assert "hubopt.studies.pareto" in graph["hubopt.cli"]          # imported inside a function
    assert "hubopt.outputs.mapping" in graph["hubopt.cli"]         # from .outputs import mapping


def test_no_import_circle():
    graph = _graph()
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(module: str) -> None:
        state[module] = 1
        path.append(module)
        for target in sorted(graph[module]):
            if state.get(target) == 1:
                circle = path[path.index(target):] + [target]
                raise AssertionError("import circle: " + " -> ".join(circle))
            if target not in state:
                visit(target)
        path.pop()
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module)


def test_each_stage_imports_only_itself_and_earlier_stages():
    backwards = []
    for module, targets in _graph().items():
        rank = STAGES.index(_stage(module))
        for target in targets:
            if target == "hubopt":
                continue
            if STAGES.index(_stage(target)) > rank:
                backwards.append(f"{module} -> {target}")
    assert not backwards, "imports running back up the pipeline:\n" + "\n".join(sorted(backwards))


def test_no_pyomo_solver_internals():
    private = ("._solver_model", "._pyomo_var_to_solver_var_map",
               "._pyomo_con_to_solver_con_map", "super()._solve", "pyomo.contrib.solver",
               "pyomo.contrib.appsi", "SolverFactory")
    used = [f"{path.relative_to(PACKAGE.parent)}: {word}" for path in PACKAGE.rglob("*.py")
            for word in private if word in path.read_text(encoding="utf-8")]
    assert not used, "\n".join(used)


def test_the_top_level_is_the_package_face_only():
    top = sorted(path.name for path in PACKAGE.glob("*.py"))
    assert len(top) <= 8, top
    assert set(top) <= {"__init__.py", "__main__.py", "api.py", "cli.py", "errors.py"}, top


def test_the_readme_layout_table_names_every_stage_folder():
    readme = (PACKAGE.parent / "README.md").read_text(encoding="utf-8")
    folders = sorted(path.parent.name for path in PACKAGE.glob("*/__init__.py"))
    missing = [folder for folder in folders if f"`hubopt/{folder}/`" not in readme]
    assert not missing, missing


def test_the_result_reader_describes_the_sheets_the_writer_writes():
    from hubopt.outputs.mapdata import LOCATION_COLUMNS, LOCATIONS_SHEET
    from hubopt.outputs.reading import RESULT_SHEETS
    from hubopt.outputs.results import TABLE_COLUMNS

    for title in ("Hubs", "Flows", "Sectors"):
        assert [c.name for c in RESULT_SHEETS[title].columns] == \
            list(TABLE_COLUMNS[title.lower()])
    assert [c.name for c in RESULT_SHEETS[LOCATIONS_SHEET].columns] == list(LOCATION_COLUMNS)
