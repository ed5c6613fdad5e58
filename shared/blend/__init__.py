"""The blend kernel: K fold kernels' predictions averaged into one submission, with the
out-of-fold CV score. Runs on a CPU: it imports neither Keras nor TensorFlow."""

from shared.blend.run import CV_NAME, BlendOutcome, run_blend

__all__ = ["CV_NAME", "BlendOutcome", "run_blend"]
