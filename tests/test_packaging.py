"""What an installed newsgraph holds: every subpackage of graph/ and its data files."""

from __future__ import annotations

import ast
import importlib
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _setuptools() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]


def test_every_subpackage_is_installed():
    """A package missing from pyproject's list works from a checkout and fails once installed."""
    on_disk = {".".join(init.parent.relative_to(ROOT).parts) for init in (ROOT / "graph").rglob("__init__.py")
               if "__pycache__" not in init.parts}
    assert on_disk >= {"graph", "graph.cache", "graph.export"}
    assert set(_setuptools()["packages"]) == on_disk


def test_py_typed_and_page_assets_are_package_data():
    patterns = _setuptools()["package-data"]["graph"]
    for needed in ("py.typed", "data/html/page.css"):
        assert (ROOT / "graph" / needed).is_file()
        assert any(Path(needed).match(p) for p in patterns), needed


def test_every_relative_import_names_what_exists():
    """Imports inside functions (kept lazy for start-up time) run only when called: a module moved
    without them (graph.cache became a package) fails in a user's build, and pyflakes does not look."""
    missing = []
    for path in sorted((ROOT / "graph").rglob("*.py")):
        package = path.relative_to(ROOT).parts[:-1]  # what a module's "." is (an __init__'s own package too)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.ImportFrom) and node.level):
                continue
            base = ".".join(package[:len(package) - node.level + 1] + ((node.module,) if node.module else ()))
            try:
                module = importlib.import_module(base)
            except ImportError:
                missing.append(f"{path.relative_to(ROOT)}:{node.lineno}: {base}")
                continue
            for alias in node.names:
                if not hasattr(module, alias.name):
                    try:
                        importlib.import_module(f"{base}.{alias.name}")
                    except ImportError:
                        missing.append(f"{path.relative_to(ROOT)}:{node.lineno}: {base}.{alias.name}")
    assert not missing


def test_modules_the_readme_calls_through_the_package_need_no_import_of_their_own():
    # The README writes graph.validate.validate(...), graph.push.push(...), ...: a fresh
    # interpreter with only `import graph` must find them.
    import re
    import subprocess
    import sys

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    called = set(re.findall(r"\bgraph\.([a-z_]+)\.[a-z_]+\(", readme))
    modules = {m for m in called if (ROOT / "graph" / f"{m}.py").exists() or (ROOT / "graph" / m).is_dir()}
    assert {"validate", "push", "serve"} <= modules, modules
    code = "import graph\n" + "".join(f"graph.{m}\n" for m in sorted(modules))
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_every_module_the_readme_names_as_graph_dot_is_an_attribute_after_import_graph():
    """`graph.views.EdgeList` in the README must work after a bare `import graph`
    (it raised AttributeError: views was not among the lazily imported modules)."""
    import re
    import subprocess
    import sys

    root = Path(__file__).resolve().parent.parent
    modules = {p.stem for p in (root / "graph").glob("*.py") if not p.stem.startswith("_")} | {"export", "cache"}
    named = set(re.findall(r"\bgraph\.(\w+)\.", (root / "README.md").read_text(encoding="utf-8"))) & modules
    assert {"views", "analysis", "cache"} <= named
    code = "import graph\n" + "".join(f"graph.{name}\n" for name in sorted(named))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=root)
    assert done.returncode == 0, done.stderr


def test_every_error_class_is_declared_in_errors_py_under_newsgraph_error():
    """One hierarchy, declared once: a public exception class written beside its module
    (ViewError, PushError, ServeError and DistributedError were) is found here. Private
    ones (``_Skip``, ``_Retry``...) steer control flow inside their module and never leave it."""
    import graph
    import graph.errors

    elsewhere = []
    for path in sorted((ROOT / "graph").rglob("*.py")):
        if path.name == "errors.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef) and not node.name.startswith("_") and any(
                    isinstance(b, (ast.Name, ast.Attribute)) and (getattr(b, "id", None) or b.attr).endswith(("Error", "Exception"))
                    for b in node.bases):
                elsewhere.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.name}")
    assert not elsewhere
    declared = [value for name, value in vars(graph.errors).items()
                if isinstance(value, type) and issubclass(value, BaseException) and value.__module__ == "graph.errors"]
    checks = [name for name in graph.errors.__all__ if name.startswith("check_")]  # check_count, check_flag
    assert checks == ["check_count", "check_flag"]
    assert len(declared) == len(graph.errors.__all__) - len(checks)
    for cls in declared:
        assert issubclass(cls, graph.NewsgraphError), cls
        assert cls.__name__ in graph.errors.__all__ and getattr(graph, cls.__name__) is cls, cls


def _checked_only_names(tree: ast.Module, module: object) -> dict:
    """What the module's ``if TYPE_CHECKING:`` blocks import (for its annotations alone)."""
    names: dict = {}
    for node in tree.body:
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            block = ast.Module(body=node.body, type_ignores=[])
            exec(compile(block, module.__file__, "exec"), {"__name__": module.__name__,  # type: ignore[attr-defined]
                                                           "__package__": module.__package__}, names)
    return names


def test_every_public_function_has_type_hints_that_name_what_exists():
    """The package ships py.typed: a function of a module's __all__ without hints is Any to a
    user's type checker, and a hint naming what is not imported (under TYPE_CHECKING too)
    fails it."""
    import inspect
    import typing

    missing, unresolved = [], []
    for path in sorted((ROOT / "graph").rglob("*.py")):
        if path.name == "__main__.py":  # runs the command when imported
            continue
        name = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        module = importlib.import_module(name)
        namespace = {**vars(module), **_checked_only_names(ast.parse(path.read_text(encoding="utf-8")), module)}
        for public in getattr(module, "__all__", ()):
            function = getattr(module, public)
            if not inspect.isfunction(function) or function.__module__ != name:
                continue  # classes, constants, and what another module defines (checked there)
            signature = inspect.signature(function)
            unhinted = [p for p, parameter in signature.parameters.items()
                        if parameter.annotation is inspect.Parameter.empty]
            if unhinted or signature.return_annotation is inspect.Signature.empty:
                missing.append(f"{name}.{public}: {unhinted or 'return'}")
                continue
            try:
                typing.get_type_hints(function, globalns=namespace)
            except Exception as err:  # noqa: BLE001 - any failure is the finding
                unresolved.append(f"{name}.{public}: {err}")
    assert not missing and not unresolved, (missing, unresolved)


def test_import_graph_loads_only_the_errors_and_each_name_on_first_use():
    """`import graph` loads graph.errors alone (the console script catches a Ctrl-C
    only once its own module runs: graph.console); the package's names load on first
    use and are what their modules define, `graph.load` the function even when its
    module (graph.reload) was imported first."""
    import subprocess
    import sys

    code = """
import sys
import graph
print(sorted(m for m in sys.modules if m.split(".")[0] == "graph"))
import graph.reload, graph.builder, graph.report, graph.errors
print(graph.load is graph.reload.load, graph.build is graph.builder.build,
      graph.KnowledgeGraph is graph.builder.KnowledgeGraph, graph.BuildReport is graph.report.BuildReport,
      graph.NewsgraphError is graph.errors.NewsgraphError)
print(set(graph.__all__) <= set(dir(graph)), graph.views is sys.modules["graph.views"])
try:
    graph.no_such_name
except AttributeError as err:
    print("AttributeError:", err)
namespace = {}
exec("from graph import *", namespace)
print(sorted(set(graph.__all__) - set(namespace)))
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "['graph', 'graph.errors']",
        "True True True True True",
        "True True",
        "AttributeError: module 'graph' has no attribute 'no_such_name'",
        "[]",
    ]


def test_the_console_script_is_graph_console():
    """The command a user types runs graph.console.main, the function that turns a
    Ctrl-C while the modules load into click's "Aborted!" (tests/test_cli.py)."""
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]
    assert scripts == {"newsgraph": "graph.console:main"}
    from importlib.metadata import entry_points

    installed, = entry_points(group="console_scripts", name="newsgraph")
    assert installed.value == "graph.console:main"  # what pip wrote when the project was installed


def test_only_modules_and_the_package_names_are_attributes_of_graph():
    """The package's __getattr__ loads submodules; a folder of data files (graph/data),
    a dotted or private name is no attribute, and hasattr says so rather than raising."""
    import subprocess
    import sys

    code = """
import graph
print([hasattr(graph, name) for name in ("data", "cli.x", "_private", "no_such_module", "export", "cache", "load")])
print(callable(graph.load), graph.export.files.__name__, graph.cache.fingerprints.__name__)
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["[False, False, False, False, True, True, True]",
                                        "True graph.export.files graph.cache.fingerprints"]
