"""The hand-written stubs (funnelq/__init__.pyi) match the module: a drift check."""

import ast
import inspect
import pathlib

import funnelq

STUB = pathlib.Path(funnelq.__file__).with_name("__init__.pyi")


def stub_tree():
    assert STUB.exists(), "the wheel ships __init__.pyi"
    assert STUB.with_name("py.typed").exists(), "the wheel ships py.typed"
    return ast.parse(STUB.read_text())


def public(names):
    return {n for n in names if not n.startswith("_") or n in {"__len__", "__iter__", "__next__", "__aiter__", "__anext__", "__enter__", "__exit__", "__bool__", "__copy__"}}


def test_stub_module_names():
    tree = stub_tree()
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.ClassDef, ast.FunctionDef)):
            names.add(node.name)
        elif isinstance(node, ast.AnnAssign):
            names.add(node.target.id)
        elif isinstance(node, ast.Assign) and node.targets[0].id == "__all__":
            assert ast.literal_eval(node.value) == funnelq.__all__
    assert names == set(funnelq.__all__)


def test_stub_classes_match_runtime():
    for node in stub_tree().body:
        if not isinstance(node, ast.ClassDef):
            continue
        runtime = getattr(funnelq, node.name)
        stubbed = public(
            n.name for n in node.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
        ) | {n.target.id for n in node.body if isinstance(n, ast.AnnAssign)}
        if issubclass(runtime, BaseException):
            assert stubbed <= {"sent", "unsent"}, node.name
            continue
        actual = public(n for n in vars(runtime))
        assert stubbed == actual, (node.name, stubbed ^ actual)
        for n in node.body:
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and not n.name.startswith("__"):
                is_async = isinstance(n, ast.AsyncFunctionDef)
                assert n.name.endswith("_async") == is_async, n.name


def test_stub_signatures_match_runtime():
    for node in stub_tree().body:
        if not isinstance(node, ast.ClassDef) or node.name not in ("Sender", "Receiver"):
            continue
        runtime = getattr(funnelq, node.name)
        for fn in node.body:
            if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            if fn.decorator_list or fn.name.startswith("__"):
                continue
            stub_params = [a.arg for a in fn.args.args]
            sig = inspect.signature(getattr(runtime, fn.name))
            assert list(sig.parameters) == stub_params, (node.name, fn.name)
