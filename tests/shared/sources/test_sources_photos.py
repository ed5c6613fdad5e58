"""Photos as competitions ship them: EXIF orientation, CMYK, 16-bit, huge files, big JPEGs."""

import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from shared.sources import DecodeSettings, decode_image, describe_failure
from shared.sources.photo import ImageTooLargeError, open_upright, upright_size

# What a camera stores for each EXIF orientation, given the upright picture (EXIF 2.3: the
# tag tells a viewer how to turn the stored pixels upright).
STORED = {2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180,
          4: Image.Transpose.FLIP_TOP_BOTTOM, 5: Image.Transpose.TRANSPOSE,
          6: Image.Transpose.ROTATE_90, 7: Image.Transpose.TRANSVERSE,
          8: Image.Transpose.ROTATE_270}


def upright_photo(fmnist, height=28, width=44) -> np.ndarray:
    """A tinted RGB picture, wider than tall, with a Fashion-MNIST item on the left."""
    out = np.zeros((height, width, 3), np.uint8)
    out[..., 2] = 90  # blue background
    item = fmnist["x_train"][1][..., 0]  # an asymmetric item
    out[:28, :28, 0] = item
    out[:28, :28, 1] = item // 2
    return out


def store(path, upright: np.ndarray, orientation: int, **save) -> None:
    img = Image.fromarray(upright, "RGB")
    exif = Image.Exif()
    if orientation != 1:
        img = img.transpose(STORED[orientation])
        exif[0x0112] = orientation
    img.save(path, exif=exif, **save)


@pytest.mark.parametrize("orientation", range(1, 9))
def test_every_exif_orientation_decodes_upright(tmp_path, fmnist, orientation):
    upright = upright_photo(fmnist)
    store(tmp_path / "p.png", upright, orientation)
    x = decode_image(tmp_path / "p.png", DecodeSettings(size=(28, 44), channels=3))
    np.testing.assert_array_equal(x, upright)


@pytest.mark.parametrize("orientation", [6, 8])
def test_a_sideways_phone_jpeg_decodes_upright(tmp_path, fmnist, orientation):
    upright = upright_photo(fmnist)
    store(tmp_path / "p.jpg", upright, orientation, quality=95, subsampling=0)
    with Image.open(tmp_path / "p.jpg") as img:
        assert img.size == (28, 44) and upright_size(img) == (28, 44)  # stored 28 wide
    x = decode_image(tmp_path / "p.jpg", DecodeSettings(size=(28, 44), channels=3))
    assert np.abs(x.astype(int) - upright).mean() < 3
    gray = decode_image(tmp_path / "p.jpg", DecodeSettings(size=(28, 44), channels=1))
    expected = np.asarray(Image.fromarray(upright).convert("L"))[..., None]
    assert np.abs(gray.astype(int) - expected).mean() < 3


def test_a_damaged_exif_block_counts_as_upright(tmp_path, fmnist):
    upright = upright_photo(fmnist)
    Image.fromarray(upright).save(tmp_path / "p.jpg", quality=95, subsampling=0,
                                  exif=b"Exif\x00\x00MM\x00*\x00\x00\x00\x08\xff\xff")
    x = decode_image(tmp_path / "p.jpg", DecodeSettings(size=(28, 44), channels=3))
    assert np.abs(x.astype(int) - upright).mean() < 3


@pytest.mark.parametrize("mode", ["CMYK", "L", "YCbCr"])
def test_jpeg_colour_models_become_rgb(tmp_path, fmnist, mode):
    upright = upright_photo(fmnist)
    Image.fromarray(upright).convert(mode).save(tmp_path / "p.jpg", quality=95, subsampling=0)
    x = decode_image(tmp_path / "p.jpg", DecodeSettings(size=(28, 44), channels=3))
    expected = upright if mode != "L" else np.repeat(
        np.asarray(Image.fromarray(upright).convert("L"))[..., None], 3, axis=2)
    assert np.abs(x.astype(int) - expected).mean() < 4


def _png_rgb16(path, pixels: np.ndarray) -> None:
    """A 48-bit RGB PNG written by hand (Pillow cannot write one)."""
    height, width, _ = pixels.shape
    rows = b"".join(b"\x00" + pixels[r].astype(">u2").tobytes() for r in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    ihdr = struct.pack(">IIBBBBB", width, height, 16, 2, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
                     + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def test_sixteen_bit_rgb_becomes_eight_bit(tmp_path, fmnist):
    upright = upright_photo(fmnist)
    _png_rgb16(tmp_path / "w.png", upright.astype(np.uint16) * 257)
    x = decode_image(tmp_path / "w.png", DecodeSettings(size=(28, 44), channels=3))
    np.testing.assert_array_equal(x, upright)


def test_a_file_over_the_pixel_limit_is_refused_before_decoding(tmp_path, fmnist):
    store(tmp_path / "big.png", upright_photo(fmnist), 1)
    pillow_limit = Image.MAX_IMAGE_PIXELS
    settings = DecodeSettings(size=(28, 44), channels=3, max_pixels=1_000)
    with pytest.raises(ImageTooLargeError) as info:
        decode_image(tmp_path / "big.png", settings)
    assert describe_failure(info.value) == (
        "image too large: 44x28 = 1,232 pixels, over the limit of 1,000 ([source] "
        "max_image_pixels, a guard against decompression bombs): raise it if such files are "
        "genuine")
    assert Image.MAX_IMAGE_PIXELS == pillow_limit  # the process-wide setting is restored
    assert decode_image(tmp_path / "big.png", DecodeSettings((28, 44), 3, max_pixels=0)).shape \
        == (28, 44, 3)
    with pytest.raises(ValueError, match="DecodeSettings.max_pixels -1: expected a pixel "
                                         "count >= 0"):
        DecodeSettings((28, 44), 3, max_pixels=-1)


def test_pillows_own_guard_follows_the_limit(tmp_path, fmnist):
    """Pillow checks sizes in places of its own (e.g. GIF frames): the same limit applies."""
    frames = [Image.fromarray(fmnist["x_train"][i][..., 0]).convert("P") for i in range(2)]
    frames[0].save(tmp_path / "a.gif", save_all=True, append_images=frames[1:])
    settings = DecodeSettings(size=(28, 28), channels=1, max_pixels=700)
    with pytest.raises(Exception) as info:
        decode_image(tmp_path / "a.gif", settings)
    assert describe_failure(info.value).startswith("image too large: ")


def test_a_large_jpeg_is_decoded_at_a_reduced_scale(tmp_path, fmnist):
    big = Image.fromarray(upright_photo(fmnist, 28, 28)).resize((448, 224),
                                                                 Image.Resampling.BICUBIC)
    store(tmp_path / "big.jpg", np.asarray(big), 6, quality=95)  # stored 224 wide, 448 tall
    with open_upright(tmp_path / "big.jpg", size=(56, 112)) as img:
        assert img.size == (112, 56)  # libjpeg decoded at 1/4, then turned upright
    with open_upright(tmp_path / "big.jpg") as img:
        assert img.size == (448, 224)
    x = decode_image(tmp_path / "big.jpg", DecodeSettings(size=(56, 112), channels=3))
    full = np.asarray(big.resize((112, 56), Image.Resampling.BILINEAR))
    assert np.abs(x.astype(int) - full).mean() < 4


def test_a_truncated_jpeg_is_rejected_with_a_reason(tmp_path, fmnist):
    store(tmp_path / "p.jpg", upright_photo(fmnist), 6, quality=95)
    data = (tmp_path / "p.jpg").read_bytes()
    (tmp_path / "cut.jpg").write_bytes(data[: len(data) // 2])
    with pytest.raises(Exception) as info:
        decode_image(tmp_path / "cut.jpg", DecodeSettings(size=(28, 44), channels=3))
    assert describe_failure(info.value).startswith("truncated image: ")
