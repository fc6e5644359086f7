"""A user's code is zipped as `sam build` would: every file as it is, and its
requirements.txt installed for the Lambda platform."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from harness.deploy.package import build_user_zip
from harness.errors import BadInput

from .cli import harness


def names_in(code: bytes) -> set[str]:
    return set(zipfile.ZipFile(io.BytesIO(code)).namelist())


@pytest.fixture(autouse=True)
def own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


def test_vendored_code_is_taken_as_it_is(tmp_path: Path) -> None:
    code = tmp_path / "code"
    (code / "vendored" / "lib").mkdir(parents=True)
    (code / "app.py").write_text(
        "import vendored.lib\n\ndef handler(event, context):\n    return 1\n"
    )
    # Optional imports an import scanner would count as required, and a compiled module.
    (code / "vendored" / "lib" / "__init__.py").write_text(
        "try:\n    import annotationlib, avro, redis, datadog_lambda\nexcept ImportError:\n"
        "    pass\n"
    )
    (code / "vendored" / "lib" / "_speedups.cpython-312-x86_64-linux-gnu.so").write_bytes(
        b"\x7fELF"
    )
    (code / "vendored" / "lib" / "data.json").write_text("{}")
    (code / "__pycache__").mkdir()
    (code / "__pycache__" / "app.cpython-311.pyc").write_bytes(b"")
    (code / ".env").write_text("SECRET=1")

    assert names_in(build_user_zip(code)) == {
        "app.py",
        "vendored/lib/__init__.py",
        "vendored/lib/_speedups.cpython-312-x86_64-linux-gnu.so",
        "vendored/lib/data.json",
    }


def test_requirements_are_installed_for_lambdas_platform(tmp_path: Path) -> None:
    code = tmp_path / "code"
    code.mkdir()
    (code / "app.py").write_text("import tabulate\n")
    (code / "requirements.txt").write_text("tabulate==0.9.0\n")

    names = names_in(build_user_zip(code))

    assert {"app.py", "requirements.txt", "tabulate/__init__.py"} <= names
    assert any(name.startswith("tabulate-0.9.0.dist-info/") for name in names)
    assert not any(name.endswith(".pyc") for name in names)


def test_a_requirement_with_no_lambda_wheel_is_named_in_one_line(tmp_path: Path) -> None:
    code = tmp_path / "code"
    code.mkdir()
    (code / "requirements.txt").write_text("no-such-package-for-the-harness-test==1.0\n")

    with pytest.raises(BadInput, match="no wheel of no-such-package-for-the-harness-test"):
        build_user_zip(code)


def test_code_over_lambdas_size_limit_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import harness.deploy.package as package

    code = tmp_path / "code"
    code.mkdir()
    (code / "app.py").write_text("x = 1\n" * 1000)
    monkeypatch.setattr(package, "MAX_UNZIPPED_BYTES", 1000)

    with pytest.raises(BadInput, match="over Lambda's 262 MB"):
        build_user_zip(code)


def test_a_handler_with_vendored_optional_imports_runs(tmp_path: Path) -> None:
    code = tmp_path / "code"
    (code / "job").mkdir(parents=True)
    (code / "job" / "__init__.py").write_text("")
    (code / "job" / "handler.py").write_text(
        "try:\n    import datadog_lambda  # optional: only where it is installed\n"
        "except ImportError:\n    datadog_lambda = None\n\n"
        "def handler(event, context):\n    return {'ok': True}\n"
    )

    result = harness(
        "run", "--handler", "job.handler.handler", "--code-dir", str(code), "--days", "2",
        "--report-dir", str(tmp_path / "out"), "--no-progress",
    )  # fmt: skip

    assert result.returncode == 0, result.stderr
