"""Pure ML plumbing shared by recognition.ml and translation.ml (no Django imports)."""
