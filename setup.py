"""Which packages the wheel holds; everything else about the project is in pyproject.toml.

Here rather than in pyproject because setuptools cannot combine package discovery with a
renamed directory there: the top-level `themes/` folder (the user's layout, and the source of
truth) ships as the data package `liqhunt_themes`, so an installed `liqhunt` finds its themes
without installing a generic top-level `themes` package.
"""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["core", "core.*", "tui", "tui.*"]), "liqhunt_themes"],
    package_dir={"liqhunt_themes": "themes"},
    package_data={"tui": ["*.tcss"], "liqhunt_themes": ["*.toml"]},
)
