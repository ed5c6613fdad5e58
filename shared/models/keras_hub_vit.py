"""``keras_hub_vit``: a ViT-like keras_hub backbone from a Kaggle Models preset, fine-tuned.

ViT, DeiT, DINOv2 and DINOv3 read a fixed grid of patches and return a sequence of tokens,
the class token first: that token is the image's feature, then dropout and the task's head.
They fine-tune at a lower rate than CNNs, with more weight decay: the head for one epoch at
1e-3 with the backbone frozen, then every layer at 5e-5 after a one-epoch warm-up, cosine
decay, AdamW with weight decay 0.05.
"""

from __future__ import annotations

from shared.models.backbone_build import build_backbone_model
from shared.models.registry import register_model
from shared.models.spec import FineTune, ModelSpec

__all__ = ["SPEC"]

SPEC = register_model(ModelSpec(
    name="keras_hub_vit", build=build_backbone_model, min_side=16,
    min_side_reason="cuts the image into patches",
    description="a ViT-like keras_hub backbone from a Kaggle Models preset, fine-tuned",
    channels=3, normalization="preset", augment="flip", lr_schedule="cosine",
    learning_rate=1e-3, weights="a Kaggle Models preset ([train] model)",
    pooling="class_token",
    fine_tune=FineTune(backbones=("ViTBackbone", "DeiTBackbone", "DINOV2Backbone",
                                  "DINOV3Backbone"),
                       head_epochs=1, rate_factor=0.05, warmup_epochs=1.0, weight_decay=0.05,
                       dropout=0.1)))
