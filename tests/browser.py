"""Headless Chromium and fonts for the page tests: load a page offline (network blocked), dump its DOM, take a
screenshot, and find a CJK font through fontconfig (the system's, or one fetched with `apt-get download`)."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

# a fresh profile each time, nothing fetched in the background, and no network at all: every host name
# fails to resolve and any proxied request goes to a closed port
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run",
         "--disable-component-update", "--disable-sync", "--hide-scrollbars",
         "--proxy-server=127.0.0.1:9", "--host-resolver-rules=MAP * ~NOTFOUND"]
FONT_DEB = "fonts-wqy-microhei"  # what `make test` installs (Makefile, test target)
CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")


def chromium() -> str:
    exe = shutil.which("chromium")
    if exe is None:
        pytest.fail("chromium is not installed: `make test` installs Debian's package "
                    "(apt-get install --no-install-recommends chromium)")
    return exe


def run_chromium(args: list[str], profile: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    r = subprocess.run([chromium(), *FLAGS, f"--user-data-dir={profile}", *args], capture_output=True, text=True,
                       timeout=120, env=env)
    assert r.returncode == 0, r.stderr[-2000:]
    return r


def dom(page: Path, profile: Path, env: dict | None = None) -> str:
    """The DOM of `page` after Chromium loaded it offline (and ran its scripts)."""
    return run_chromium(["--dump-dom", page.as_uri()], profile, env).stdout


def screenshot(page: Path, png: Path, profile: Path, env: dict | None = None, size: str = "1280,2400") -> bytes:
    """A PNG screenshot of `page` (offline); its pixels as RGB bytes."""
    from PIL import Image

    run_chromium([f"--window-size={size}", f"--screenshot={png}", page.as_uri()], profile, env)
    with Image.open(png) as im:
        return im.convert("RGB").tobytes()


def text_of(html: str) -> str:
    """The text of an HTML document (tags, the style and the script dropped)."""
    html = re.sub(r"<(style|script)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


def fonts_conf(folder: Path, font_dirs: list[Path], system: bool) -> Path:
    """A fontconfig file: the system's configuration (or none) plus `font_dirs`, its cache in `folder`."""
    conf = folder / "fonts.conf"
    include = '<include ignore_missing="yes">/etc/fonts/fonts.conf</include>' if system else ""
    dirs = "".join(f"<dir>{d}</dir>" for d in font_dirs)
    conf.write_text(f'<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>{include}{dirs}'
                    f"<cachedir>{folder / 'cache'}</cachedir></fontconfig>\n", encoding="utf-8")
    return conf


def fc_list(env: dict, *pattern: str) -> list[str]:
    r = subprocess.run(["fc-list", *pattern], capture_output=True, text=True, timeout=60, env=env)
    return [line for line in r.stdout.splitlines() if line.strip()]


def cjk_font_env(folder: Path) -> dict:
    """An environment whose fontconfig has a CJK font: the system's when one is installed (`make test`
    installs fonts-wqy-microhei), else that package fetched with `apt-get download` into `folder` and
    added through FONTCONFIG_FILE. Skips when neither works (no fontconfig, or no package source)."""
    if shutil.which("fc-list") is None:
        pytest.skip("fontconfig is not installed: `make test` installs it with fonts-wqy-microhei")
    env = dict(os.environ)
    if fc_list(env, ":lang=zh", "file"):
        return env
    try:
        subprocess.run(["apt-get", "download", FONT_DEB], cwd=folder, capture_output=True, timeout=300, check=True)
        deb = next(folder.glob(f"{FONT_DEB}_*.deb"))
        subprocess.run(["dpkg-deb", "-x", str(deb), str(folder / "root")], capture_output=True, timeout=120, check=True)
    except (OSError, subprocess.SubprocessError, StopIteration) as e:
        pytest.skip(f"no CJK font installed and {FONT_DEB} could not be fetched ({e}): `make test` installs it")
    env["FONTCONFIG_FILE"] = str(fonts_conf(folder, [folder / "root" / "usr" / "share" / "fonts"], system=True))
    if not fc_list(env, ":lang=zh", "file"):
        pytest.skip(f"{FONT_DEB} was fetched but fontconfig finds no CJK font in it")
    return env


def latin_only_env(folder: Path) -> dict | None:
    """An environment whose fontconfig knows one Latin font only (no CJK): what a bare machine draws. None
    when the system has no Latin font without CJK coverage to make it from."""
    r = subprocess.run(["fc-match", "-f", "%{file}", "sans-serif:lang=en"], capture_output=True, text=True, timeout=60,
                       env={k: v for k, v in os.environ.items() if k != "FONTCONFIG_FILE"})
    font = Path(r.stdout.strip())
    if not font.is_file() or font.suffix.lower() not in (".ttf", ".otf") or ord("政") in cmap_of(str(font)):
        return None
    latin = folder / "latin"
    latin.mkdir(parents=True, exist_ok=True)
    shutil.copy(font, latin / font.name)
    return {**os.environ, "FONTCONFIG_FILE": str(fonts_conf(folder, [latin], system=False))}


def cmap_of(font_file: str, index: int = 0) -> set[int]:
    """The code points a font file (or one face of a collection) maps."""
    from fontTools.ttLib import TTFont

    with TTFont(font_file, fontNumber=index, lazy=True) as f:
        return set(f.getBestCmap() or {})


def cjk_faces(env: dict) -> dict[str, set[int]]:
    """Every family fontconfig knows with Chinese coverage → the code points of its face."""
    out: dict[str, set[int]] = {}
    for line in fc_list(env, ":lang=zh", "family", "file", "index"):
        m = re.match(r"(?P<file>[^:]+): (?P<family>[^:]*):index=(?P<index>\d+)", line)
        if not m:
            continue
        for fam in m["family"].split(","):
            out.setdefault(fam.strip(), set()).update(cmap_of(m["file"], int(m["index"])))
    return out
