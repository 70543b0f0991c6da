"""The corrections corpus: the split (train/dev/held-out), the segment cutter, and what is built
from accepted corrections (exports, retraining, evaluation of model versions).

It sits above annotation, registry and jobs and is imported by none of them: the registry gets
its evaluator through registry.services.set_evaluator (connected in corpus.apps).
"""
