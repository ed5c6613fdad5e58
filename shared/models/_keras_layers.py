"""Two Keras layers that a model built on a pretrained backbone saves in ``model.keras``.

- ``BackboneCall`` calls the backbone with ``training=False`` (unless ``inference`` is off),
  so its batch normalisation keeps the pretrained statistics while the model trains. Keras
  3 does not keep a ``training=False`` written at a call in a functional model: ``fit``
  passes ``training=True`` to every layer that takes it, so the call is pinned here.
- ``ClassToken`` keeps the first token of a ViT-like backbone's output (its class token).

Both are registered under the package ``kaggle_pipeline``: ``load_model`` finds them once
this module is imported (``shared.models.presets.enable_preset_loading`` does). The module
name starts with ``_``: the registry package does not import it (it imports Keras).
"""

from __future__ import annotations

from typing import Any

import keras

__all__ = ["BackboneCall", "ClassToken"]


@keras.saving.register_keras_serializable(package="kaggle_pipeline")
class BackboneCall(keras.layers.Layer):
    """``backbone(x, training=False)``, or with the caller's ``training`` when not
    ``inference``. Freezing this layer (``trainable = False``) freezes the backbone."""

    def __init__(self, backbone: keras.layers.Layer, inference: bool = True, **kwargs) -> None:
        super().__init__(**kwargs)
        self.backbone = backbone
        self.inference = bool(inference)

    @property
    def layers(self) -> list[keras.layers.Layer]:
        """The backbone, for code that walks a model's layers (``multiply_adds``)."""
        return [self.backbone]

    def build(self, input_shape: Any) -> None:
        if not self.backbone.built:
            self.backbone.build(input_shape)
        self.built = True

    def call(self, inputs: Any, training: bool | None = None) -> Any:
        named = self.backbone.input  # DINOv2 names its one input: {"images": ...}
        if isinstance(named, dict) and len(named) == 1:
            inputs = {next(iter(named)): inputs}
        return self.backbone(inputs, training=False if self.inference else training)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return self.backbone.compute_output_shape(input_shape)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "inference": self.inference,
                "backbone": keras.saving.serialize_keras_object(self.backbone)}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "BackboneCall":
        config = dict(config)
        config["backbone"] = keras.saving.deserialize_keras_object(config["backbone"])
        layer = cls(**config)
        if not layer.trainable:  # read back frozen: so are the backbone's layers and variables
            # (on TensorFlow, assigning the value a layer already has is skipped, and with it
            # the assignment to its layers: unfreeze, then freeze)
            layer.backbone.trainable = True
            layer.backbone.trainable = False
        return layer


@keras.saving.register_keras_serializable(package="kaggle_pipeline")
class ClassToken(keras.layers.Layer):
    """``x[:, 0]`` of a ``(batch, tokens, features)`` sequence: the class token."""

    def call(self, inputs: Any) -> Any:
        return inputs[:, 0]

    def compute_output_shape(self, input_shape: Any) -> Any:
        return (input_shape[0], input_shape[-1])
