"""Build the optional C inner loop of term recognition (src/termbase/_keys.c).

Everything else is in pyproject.toml. `optional=True`: without a C compiler the install still
succeeds and termbase.matcher uses its pure-Python path, which gives the same hits, more slowly.
"""
from setuptools import Extension, setup

setup(ext_modules=[Extension("termbase._keys", ["src/termbase/_keys.c"], optional=True)])
