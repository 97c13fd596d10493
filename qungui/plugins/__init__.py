"""The rules, one module each. Every module holds one ``Plugin`` class with
its ``RuleSpec``, registered with ``@register``; ``load_plugins`` imports
them all. Modules starting with ``_`` are shared helpers."""

from __future__ import annotations

import importlib
import pkgutil

from qungui.core.plugin import REGISTRY, Plugin


def load_plugins() -> dict[str, Plugin]:
    """Every rule of this package, by id (each module registers itself on import)."""
    for info in pkgutil.iter_modules(__path__):
        if not info.name.startswith("_"):
            importlib.import_module(f"{__name__}.{info.name}")
    return REGISTRY
