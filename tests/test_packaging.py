"""The wheel is what `pipx install .` / `uv tool install .` install: build it, install it into a
fresh venv, and open `liqhunt demo` from there (not from this checkout) in every theme.

No network: the wheel is built without build isolation by this environment's setuptools, and
the fresh venv borrows this environment's dependencies through a .pth line (a path line in a
.pth does not run that directory's own .pth files, so an editable install of this checkout
there stays invisible). The console runs in a pseudo-terminal, as a user would see it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from pathlib import Path

import pytest

from tui.bench.pty_harness import run_in_pty
from tui.bench.terminal import MARKERS, console_env

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("pyproject.toml", "setup.py", "README.md", "core", "tui", "themes")
THEMES = sorted(tomllib.loads(p.read_text())["name"] for p in (ROOT / "themes").glob("*.toml"))

slow = pytest.mark.slow  # builds a wheel and a venv once per module, then runs the console in a pty


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    # built from a copy so the checkout gets no build/ or *.egg-info while other runs read it
    src = tmp_path_factory.mktemp("src")
    for name in SOURCES:
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(path, src / name)
    out = src.parent / "wheels"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-index",
            "--no-build-isolation",
            "--wheel-dir",
            str(out),
            str(src),
        ],
        check=True,
        timeout=300,
        cwd=src.parent,
        env=outside_the_checkout_env(),
    )
    (built,) = out.glob("liqhunt-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> Path:
    """A fresh venv with only the wheel installed; returns its bin/ directory."""
    venv = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    py = venv / "bin" / "python"
    purelib = subprocess.run(
        [str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    # from outside the checkout, and before the dependencies are borrowed: an editable install
    # leaves liqhunt metadata in both places, which pip would take for an installed liqhunt
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(py), "install", "--quiet", "--no-deps", "--no-index", str(wheel)],
        check=True,
        timeout=300,
        cwd=venv,
        env=outside_the_checkout_env(),
    )
    assert (venv / "bin" / "liqhunt").exists(), "the wheel did not install the console script"
    Path(purelib, "_liqhunt_test_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return venv / "bin"


def outside_the_checkout_env() -> dict:
    env = console_env()
    env.pop("PYTHONPATH", None)
    return env


@slow
def test_wheel_installs_core_tui_and_the_themes_and_nothing_generic_besides(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    top = {n.split("/")[0] for n in names}
    assert {t for t in top if not t.endswith(".dist-info")} == {"core", "tui", "liqhunt_themes"}
    assert {f"liqhunt_themes/{p.name}" for p in (ROOT / "themes").glob("*.toml")} <= set(names)
    assert "tui/app.tcss" in names and "tui/bench/suite.py" in names


@slow
def test_installed_liqhunt_prints_its_version(installed, tmp_path):
    from core import __version__

    out = subprocess.run(
        [str(installed / "liqhunt"), "--version"],
        cwd=tmp_path,
        env=outside_the_checkout_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0 and out.stdout.strip() == f"liqhunt {__version__}"


@slow
def test_installed_liqhunt_runs_from_the_venv_not_the_checkout(installed, tmp_path):
    probe = "import core, tui.theme_loader as t; print(core.__file__); print(t.THEMES_DIR)"
    out = subprocess.run(
        [str(installed / "python"), "-c", probe],
        cwd=tmp_path,
        env=outside_the_checkout_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    core_file, themes_dir = out.stdout.split()
    assert core_file.startswith(str(installed.parent)) and not core_file.startswith(str(ROOT))
    assert Path(themes_dir).name == "liqhunt_themes" and themes_dir.startswith(str(installed.parent))


@slow
@pytest.mark.parametrize("theme", [*THEMES, "ansi-dark"])
def test_installed_demo_opens_the_console_in_every_theme(installed, tmp_path, theme):
    argv = [str(installed / "liqhunt"), "demo", "--theme", theme, "--warmup", "0"]
    run = run_in_pty(
        argv,
        cols=80,
        rows=24,
        timeout_s=90.0,
        markers=MARKERS,
        env=outside_the_checkout_env(),
        cwd=str(tmp_path),
        type_after_frame=b"q",
    )
    assert run.first_frame_s is not None, (run.seen, run.head.decode(errors="replace"))
    assert run.exit_status is not None and os.waitstatus_to_exitcode(run.exit_status) == 0
    if theme != "ansi-dark":  # the panes are painted in the theme file's own panel colour
        panel = tomllib.loads((ROOT / "themes" / f"{theme}.toml").read_text())["panel"]
        r, g, b = (int(panel[i : i + 2], 16) for i in (1, 3, 5))
        assert re.search(rf"48;2;{r};{g};{b}[;m]".encode(), run.frame), panel


@slow
def test_installed_demo_names_an_unknown_theme_in_one_line(installed, tmp_path):
    out = subprocess.run(
        [str(installed / "liqhunt"), "demo", "--theme", "nope", "--warmup", "0"],
        cwd=tmp_path,
        env=outside_the_checkout_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    lines = out.stderr.strip().splitlines()
    assert out.returncode == 2 and len(lines) == 1, out.stderr
    assert lines[0].startswith("liqhunt demo: error: --theme: unknown theme 'nope'; valid: ")
    assert set(THEMES) | {"ansi-dark"} <= set(lines[0].split("valid: ")[1].split(", "))


def test_the_checkout_finds_the_top_level_themes_folder():
    from tui.theme_loader import THEMES_DIR, load_themes

    assert THEMES_DIR == ROOT / "themes"
    assert set(THEMES) <= set(load_themes())
