"""Fixtures for the evaluation tests: the real BFCL package (tests using it skip where it is absent)."""

from __future__ import annotations

import pytest

from awpo.eval.bfcl import Bfcl, import_bfcl


@pytest.fixture(scope="session")
def bfcl() -> Bfcl:
    pytest.importorskip("bfcl_eval", reason="bfcl-eval not installed (bash scripts/install_bfcl.sh)")
    return import_bfcl()
