"""Continuous sign-language translation: pure PyTorch, no Django imports."""
