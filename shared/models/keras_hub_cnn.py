"""``keras_hub_cnn``: a keras_hub CNN backbone from a Kaggle Models preset, fine-tuned.

ResNet, EfficientNet, DenseNet, MobileNet, VGG, Xception, CSPNet and any other keras_hub
image backbone that no other pretrained family claims (``FineTune.backbones`` empty): its
features are averaged over every position (a feature map's pixels, or a sequence's tokens),
then dropout and the task's head. Trained with mirrors: the head for one epoch at 1e-3 with the
backbone frozen, then every layer at 1e-4 after a one-epoch warm-up, cosine decay, AdamW.
"""

from __future__ import annotations

from shared.models.backbone_build import build_backbone_model
from shared.models.registry import register_model
from shared.models.spec import FineTune, ModelSpec

__all__ = ["SPEC"]

SPEC = register_model(ModelSpec(
    name="keras_hub_cnn", build=build_backbone_model, min_side=16,
    min_side_reason="downsamples the image up to 32 times",
    description="a keras_hub CNN backbone from a Kaggle Models preset, fine-tuned",
    channels=3, normalization="preset", augment="flip", lr_schedule="cosine",
    learning_rate=1e-3, weights="a Kaggle Models preset ([train] model)", pooling="avg",
    fine_tune=FineTune(backbones=(), head_epochs=1, rate_factor=0.1, warmup_epochs=1.0,
                       weight_decay=0.01, dropout=0.2)))
