"""Fixtures for the evaluation tests: the real BFCL package (skipped where it is not installed)."""

from __future__ import annotations

import pytest

pytest.importorskip("bfcl_eval", reason="bfcl-eval not installed (bash scripts/install_bfcl.sh)")

from awpo.eval.bfcl import Bfcl, import_bfcl


@pytest.fixture(scope="session")
def bfcl() -> Bfcl:
    return import_bfcl()
