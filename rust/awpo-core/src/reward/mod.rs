//! Outcome rewards (REWARDS.md): `toolrl`, `exact`, `bfcl`, each with its components and range.
