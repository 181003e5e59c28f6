"""Build the optional C parts: term recognition's inner loop (src/termbase/_keys.c), the
index's scan of the concept files (src/termbase/store/_scan.c) and the common case of reading a
concept file's YAML (src/termbase/_yamlplain.c, against libyaml: Debian's libyaml-dev) and the
common rows of an XLSX sheet (src/termbase/formats/_sheetscan.c).

Everything else is in pyproject.toml. `optional=True`: without a C compiler the install still
succeeds; termbase.matcher and termbase.store.index then use their pure-Python paths, which give
the same answers, more slowly.
"""
from setuptools import Extension, setup

setup(ext_modules=[Extension("termbase._keys", ["src/termbase/_keys.c"], optional=True),
                   Extension("termbase.store._scan", ["src/termbase/store/_scan.c"], optional=True),
                   Extension("termbase.formats._sheetscan", ["src/termbase/formats/_sheetscan.c"], optional=True),
                   Extension("termbase._yamlplain", ["src/termbase/_yamlplain.c"], libraries=["yaml"], optional=True)])
