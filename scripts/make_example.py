"""Build an image-folder competition from Fashion-MNIST's IDX files.

    python scripts/make_example.py                          # the embedded example (3000 + 1000)
    python scripts/make_example.py --train 60000 --test 10000 --out build/fashion-mnist-full
    python scripts/make_example.py --photos 200000 --out build/photos    # RGB photos, any size
    python scripts/make_example.py --layout file_names --zipped --out build/dogs-vs-cats
                                     # Dogs vs. Cats Redux's shape: train.zip of cat.0.jpg ..

See ``host.examples.fashion_mnist`` (28x28 PNGs) and ``host.examples.photos`` (JPEGs of
every size and orientation, some CMYK, grayscale, PNG with alpha or truncated) for what
they write.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from host.examples.fashion_mnist import build
from host.examples.idx import load_fashion_mnist
from host.examples.layouts import LAYOUTS, LayoutExample, write_layout_example
from host.examples.photos import build_photos


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=None,
                        help="default: examples/fashion-mnist-mini, or build/photos")
    parser.add_argument("--train", type=int, default=3000)
    parser.add_argument("--test", type=int, default=1000)
    parser.add_argument("--photos", type=int, metavar="COUNT",
                        help="build a photo competition of COUNT images instead (10%% test)")
    parser.add_argument("--layout", choices=LAYOUTS,
                        help="write this layout instead (host.examples.layouts): file_names "
                        "(Dogs vs. Cats Redux's shape), class_folders or image_folder")
    parser.add_argument("--zipped", action="store_true",
                        help="with --layout: put train/ and test/ into train.zip and test.zip")
    parser.add_argument("--workers", type=int, default=0,
                        help="processes writing photos (default: one per core)")
    parser.add_argument("--idx-dir", default=None,
                        help="folder of the IDX files (default: the Debian package's)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if args.layout:
        x_train, y_train, x_test, y_test = load_fashion_mnist(args.idx_dir)
        out = write_layout_example(Path(args.out or f"build/{args.layout}"),
                                   LayoutExample(args.layout, args.zipped),
                                   x_train[:args.train], y_train[:args.train],
                                   x_test[:args.test], y_test[:args.test])
        print(f"wrote a {args.layout} competition to {out}")
    elif args.photos is not None:
        build_photos(Path(args.out or "build/photos"), args.photos, seed=args.seed,
                     idx_dir=args.idx_dir, workers=args.workers)
    else:
        build(Path(args.out or "examples/fashion-mnist-mini"), args.train, args.test,
              args.idx_dir, args.seed)


if __name__ == "__main__":
    main()
