"""uint8 pixels all the way to the device: the model starts with its normalisation.

With ``[loader] output = "uint8"`` the loader hands over raw pixels, a quarter of float32's
bytes, and ``with_pixel_input`` puts the normalisation in front of the model: a uint8
``keras.Input``, then ``keras.layers.Rescaling`` (a built-in layer: the cast to the compute
dtype, ``x / 255`` or the per-channel ``(x / 255 - mean) / std`` of ``[loader] mean`` and
``std``), then the model. The conversion runs on the device, inside the compiled step, and
``model.keras`` carries it: ``predict``, a resumed run and ``--continue-training`` read the
raw shards too, and so does anyone who loads the model (feed it uint8 pixels, 0-255).
"""

from __future__ import annotations

import keras
import numpy as np

from shared.data.normalization import Normalization

__all__ = ["with_pixel_input", "prepare_model", "set_steps_per_execution", "takes_pixels"]

INPUT_NAME = "pixels"


def _value(array: np.ndarray | None) -> float | list[float]:
    """One number when every channel shares it (a plain, readable layer config)."""
    if array is None:
        return 0.0
    return float(array[0]) if np.all(array == array[0]) else [float(v) for v in array]


def with_pixel_input(model: keras.Model, sample_shape: tuple[int, ...],
                     normalization: Normalization = Normalization()) -> keras.Model:
    """``model`` behind a uint8 input and its normalisation layer (not compiled), sharing
    its layers and weights. A ``Sequential`` model stays one flat ``Sequential``; any other
    model is nested (and its own compile state is saved along with the wrapper)."""
    shape = tuple(int(d) for d in sample_shape)
    scale, offset = normalization.coefficients(shape[-1])
    pixels = keras.Input(shape, dtype="uint8", name=INPUT_NAME)
    normalize = keras.layers.Rescaling(_value(scale), offset=_value(offset), name="normalize")
    if isinstance(model, keras.Sequential):
        return keras.Sequential([pixels, normalize, *model.layers], name=model.name)
    return keras.Model(pixels, model(normalize(pixels)), name=model.name)


def takes_pixels(model: keras.Model) -> bool:
    """Whether ``model`` reads raw uint8 pixels (built by ``with_pixel_input``)."""
    return all(str(t.dtype) == "uint8" for t in model.inputs)


def set_steps_per_execution(model: keras.Model, steps: int) -> None:
    """Run ``steps`` batches per compiled call from the next ``fit`` on; kept out of the
    saved compile config, so a resumed session chooses its own."""
    model.steps_per_execution = int(steps)
    model.train_function = model.test_function = model.predict_function = None


def prepare_model(model: keras.Model, *, sample_shape: tuple[int, ...],
                  normalization: Normalization, output: str) -> keras.Model:
    """The model the train kernel fits: for ``output == "uint8"``, the compiled ``model``
    behind its pixel input, compiled the same way (``compile_from_config``); for
    ``"float32"``, ``model`` itself."""
    if output == "float32":
        return model
    if output != "uint8":
        raise ValueError(f"[loader] output = {output!r}: expected uint8 or float32")
    config = model.get_compile_config()
    wrapped = with_pixel_input(model, sample_shape, normalization)
    wrapped.compile_from_config(config)
    return wrapped
