"""The inference kernel of a code competition: decode the test images the mounted
``sample_submission.csv`` lists at run time, predict them with the trained model(s), write
``submission.csv``. Names are imported from their module on first use (``shared.lazy``), so the
decoding workers fork before Keras is imported.
"""

from shared.lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(__name__, {
    "shared.inference.record": ("INFERENCE_NAME", "InferenceRecord", "find_records"),
    "shared.inference.run": ("InferOutcome", "run_inference", "RERUN_ENV"),
})
