"""Integrations of awpo into trainers people already run (optional extras).

- `awpo.integrations.trl`: `AWPOTrainer(GRPOTrainer)` and `AWPOConfig(GRPOConfig)` for Hugging Face TRL
  (`pip install "awpo[trl]"`); see docs/INTEGRATIONS.md.
"""
