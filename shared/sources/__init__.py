"""Reading what Kaggle competitions ship: image folders with a labels CSV, or pixel CSVs.

``detect_layout`` resolves a competition folder into a :class:`SourceLayout` once (on the
user's machine); kernels then read their rows through it (``read_split_rows``,
``iter_pixel_rows``) and decode with ``decode_image`` / ``pixels_to_arrays``.
"""

from shared.sources.decode import (DecodeSettings, decode_image, describe_failure,
                                   image_to_array, pixels_to_arrays)
from shared.sources.detect import detect_layout
from shared.sources.fingerprint import check_source_fingerprint, source_fingerprint
from shared.sources.images import IMAGE_EXTENSIONS, AmbiguousImageError, ImageIndex, ImageLocator
from shared.sources.layout import SourceLayout
from shared.sources.rows import SplitRows, iter_pixel_rows, pixel_columns, read_split_rows

__all__ = [
    "AmbiguousImageError", "DecodeSettings", "IMAGE_EXTENSIONS", "ImageIndex", "ImageLocator",
    "SourceLayout", "SplitRows", "check_source_fingerprint", "decode_image", "describe_failure",
    "detect_layout", "image_to_array", "iter_pixel_rows", "pixel_columns",
    "pixels_to_arrays", "read_split_rows", "source_fingerprint",
]
