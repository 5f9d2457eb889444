"""`awpo ablate`: estimators compared on equal terms (one warm-up per seed, the same data, budget and
held-out tasks), with intervals over tasks and seeds (docs/RESULTS.md "Ablation protocol")."""
