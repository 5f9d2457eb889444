"""Rewards: outcome rewards (native) and the reasoning judge (`awpo.rewards.judge`)."""
