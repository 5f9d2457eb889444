"""Evaluation: BFCL through its official checkers, and awpo's built-in held-out tasks."""

from __future__ import annotations
