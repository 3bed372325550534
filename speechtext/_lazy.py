"""Lazy re-exports: a package names its public objects, each module loads on first use."""

import importlib
import sys

__all__ = ["lazy_exports"]


def lazy_exports(package, exports):
    """Return ``(__getattr__, __dir__)`` for ``package`` whose ``exports`` map a public name to
    the submodule defining it (PEP 562), so importing the package imports none of them."""

    def __getattr__(name):
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f".{module}", package), name)
        setattr(sys.modules[package], name, value)  # later lookups skip __getattr__
        return value

    def __dir__():
        return sorted(sys.modules[package].__all__)

    return __getattr__, __dir__
