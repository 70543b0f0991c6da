"""Continuous sign recognition: landmark frames -> gloss sequence (CTC), with an HMM baseline.

Trained and evaluated on RWTH-BOSTON-104 hand tracks (data.py); features.py computes the same
features from BOSTON tracks and from MediaPipe Holistic landmarks, so a bundle trained on BOSTON
reads clips extracted by the web app (infer.py).
"""
