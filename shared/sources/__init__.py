"""Reading what Kaggle competitions ship: image folders with a labels CSV, or pixel CSVs.

The planner (``host.planning.detect_layout``, on the user's machine) resolves a competition
folder into a :class:`SourceLayout` once; kernels then read their rows through it
(``read_split_rows``, ``iter_pixel_rows``) and decode with ``decode_image`` /
``pixels_to_arrays``. Names are imported from their module on first use (``shared.lazy``).
"""

from shared.lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(__name__, {
    "shared.sources.decode": ("DecodeSettings", "decode_image", "describe_failure",
                              "image_to_array", "pixels_to_arrays"),
    "shared.sources.fingerprint": ("check_source_fingerprint", "source_fingerprint"),
    "shared.sources.images": ("IMAGE_EXTENSIONS", "AmbiguousImageError", "ImageIndex",
                              "ImageLocator"),
    "shared.sources.layout": ("SourceLayout",),
    "shared.sources.photo": ("DEFAULT_MAX_PIXELS", "ImageTooLargeError", "open_upright",
                             "upright_size"),
    "shared.sources.stores": ("ArchiveMember", "ImageFile", "open_image_file", "open_store"),
    "shared.sources.rows": ("SplitRows", "iter_pixel_rows", "pixel_columns", "read_split_rows"),
    "shared.sources.targets": ("encode_targets", "split_tags", "tag_list"),
})
