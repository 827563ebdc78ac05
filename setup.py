"""Build script. setup.cfg holds the metadata; this adds the compiled hot path.

The modules ``kismet_tx/hotpath.py`` lists are compiled with mypyc (a build
requirement in pyproject.toml) unless ``KISMET_TX_PURE=1``. The extensions are
optional: where they cannot be built (no C compiler) the build says so and the
pure-Python modules, installed in every case, run instead.
"""

from __future__ import annotations

import os
import runpy
from typing import Any

from setuptools import setup


def compiled_extensions() -> list[Any]:
    if os.environ.get("KISMET_TX_PURE") == "1":
        return []
    try:
        from mypyc.build import mypycify
    except ImportError:
        print("kismet_tx: mypyc is not installed; installing the pure-Python modules only")
        return []
    modules = runpy.run_path(os.path.join("kismet_tx", "hotpath.py"))["MODULES"]
    paths = [module.replace(".", os.sep) + ".py" for module in modules]
    paths = [path if os.path.exists(path) else path[:-3] + os.sep + "__init__.py"
             for path in paths]
    extensions = mypycify(paths, opt_level="3")
    for extension in extensions:
        extension.optional = True
    return extensions


setup(ext_modules=compiled_extensions())
