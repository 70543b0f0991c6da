"""Pure ML plumbing shared by recognition.ml and translation.ml (no Django imports): the one
training loop (train), config style (config), device chooser (device), model-card writer (card),
predictor cache (predictors), bundle format (bundle), numerics and layers."""
