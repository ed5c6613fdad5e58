"""Build an image-folder competition from Fashion-MNIST's IDX files.

    python scripts/make_example.py                          # the embedded example (3000 + 1000)
    python scripts/make_example.py --train 60000 --test 10000 --out build/fashion-mnist-full

See ``host.examples.fashion_mnist`` for what it writes.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from host.examples.fashion_mnist import build


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default="examples/fashion-mnist-mini")
    parser.add_argument("--train", type=int, default=3000)
    parser.add_argument("--test", type=int, default=1000)
    parser.add_argument("--idx-dir", default=None,
                        help="folder of the IDX files (default: the Debian package's)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    build(Path(args.out), args.train, args.test, args.idx_dir, args.seed)


if __name__ == "__main__":
    main()
