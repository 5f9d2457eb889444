//! Group-relative AWPO advantages (ALGORITHM.md §1–§4, baselines of §6).
