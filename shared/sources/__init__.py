"""Reading what Kaggle competitions ship: image folders with a labels CSV, or pixel CSVs."""

from shared.sources.layout import SourceLayout

__all__ = ["SourceLayout"]
