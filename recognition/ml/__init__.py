"""Isolated-sign recognition: pure PyTorch/numpy, no Django imports.

config.py (frozen dataclasses) -> features.py (landmarks -> per-part features) -> model.py
(ST-Transformer of seed 000, optional cross-modal attention of seed 003) -> data.py / augment.py
(datasets, splits, augmentation) -> train.py / evaluate.py (the CLI's work) -> infer.py (the
predictor a worker loads once per process).
"""
