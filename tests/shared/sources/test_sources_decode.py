import numpy as np
import pytest
from PIL import Image

from competitions import save_image
from shared.sources import DecodeSettings, decode_image, describe_failure, pixels_to_arrays
from shared.sources.images import ImageLocator

GRAY = DecodeSettings(size=(28, 28), channels=1)
RGB = DecodeSettings(size=(28, 28), channels=3)


@pytest.mark.parametrize("mode", ["L", "RGB", "RGBA", "P", "I;16", "LA"])
@pytest.mark.parametrize("settings", [GRAY, RGB], ids=["gray", "rgb"])
def test_every_mode_gives_the_same_pixels(tmp_path, fmnist, mode, settings):
    """A gray image saved as 8-bit, RGB, opaque RGBA, palette, 16-bit or LA decodes alike."""
    path = tmp_path / "a.png"
    save_image(path, fmnist["x_train"][0], mode)
    x = decode_image(path, settings)
    assert x.dtype == np.uint8 and x.shape == settings.shape
    expected = np.repeat(fmnist["x_train"][0], settings.channels, axis=2)
    np.testing.assert_array_equal(x, expected)


def test_transparency_is_composited_onto_black(tmp_path):
    rgba = np.zeros((4, 4, 4), np.uint8)
    rgba[..., :3] = 200
    rgba[:2, :, 3] = 255  # top half opaque, bottom half transparent
    Image.fromarray(rgba, "RGBA").save(tmp_path / "a.png")
    x = decode_image(tmp_path / "a.png", DecodeSettings(size=(4, 4), channels=3))
    assert (x[:2] == 200).all() and (x[2:] == 0).all()


def test_palette_transparency_is_honoured(tmp_path):
    img = Image.fromarray(np.array([[0, 1], [1, 1]], np.uint8), "P")
    img.putpalette([255, 0, 0, 0, 255, 0] + [0] * 762)
    img.save(tmp_path / "p.png", transparency=0)
    x = decode_image(tmp_path / "p.png", DecodeSettings(size=(2, 2), channels=3))
    assert x[0, 0].tolist() == [0, 0, 0] and x[1, 1].tolist() == [0, 255, 0]


def test_sixteen_bit_values_are_scaled_not_clipped(tmp_path):
    Image.fromarray(np.array([[0, 257 * 128, 65535]], np.uint16)).save(tmp_path / "w.png")
    x = decode_image(tmp_path / "w.png", DecodeSettings(size=(1, 3), channels=1))
    assert x[0, :, 0].tolist() == [0, 128, 255]


def test_stretch_and_pad(tmp_path):
    Image.new("L", (40, 20), 255).save(tmp_path / "wide.png")
    stretched = decode_image(tmp_path / "wide.png", DecodeSettings((10, 10), 1, "stretch"))
    assert (stretched == 255).all()
    padded = decode_image(tmp_path / "wide.png", DecodeSettings((10, 10), 1, "pad"))[..., 0]
    rows = np.flatnonzero(padded.max(axis=1))
    assert rows.tolist() == [2, 3, 4, 5, 6]  # 40x20 -> 10x5, centred
    assert (padded[rows] == 255).all() and (padded[:2] == 0).all() and (padded[-2:] == 0).all()


def test_bad_files_get_a_reason(tmp_path, fmnist):
    save_image(tmp_path / "ok.png", fmnist["x_train"][0], "RGB")
    data = (tmp_path / "ok.png").read_bytes()
    (tmp_path / "half.png").write_bytes(data[: len(data) // 2])
    (tmp_path / "text.png").write_text("not an image")
    reasons = {}
    for name in ("half.png", "text.png", "gone.png"):
        with pytest.raises(Exception) as info:
            decode_image(tmp_path / name, GRAY)
        reasons[name] = describe_failure(info.value)
    assert reasons["half.png"].startswith("truncated image")
    assert reasons["text.png"] == "unreadable image: not a format Pillow recognises"
    assert reasons["gone.png"] == "missing image: gone.png not found"


def test_locator_matches_any_case_and_extension(tmp_path, fmnist):
    for name in ("a.PNG", "sub/b.jpg", "c.png", "c.jpg"):
        save_image(tmp_path / name, fmnist["x_train"][0], "RGB")
    locator = ImageLocator(tmp_path, ".png")
    assert locator.find("c") == tmp_path / "c.png"  # the planned name first
    assert locator.find("a") == tmp_path / "a.PNG"
    assert locator.find("A.png") == tmp_path / "a.PNG"
    assert locator.find("b") == tmp_path / "sub" / "b.jpg"
    with pytest.raises(FileNotFoundError, match="no file for 'd'"):
        locator.find("d")
    with pytest.raises(ValueError, match="several files match 'c': c.jpg, c.png"):
        ImageLocator(tmp_path, ".bmp").find("c")


def test_pixel_rows_decode_and_bad_rows_are_flagged(fmnist):
    rows = fmnist["x_train"][:4].reshape(4, -1).astype(np.float64)
    rows[1, 5] = np.nan
    rows[2, 7] = 300
    x, ok = pixels_to_arrays(rows, (28, 28, 1), GRAY)
    assert ok.tolist() == [True, False, False, True]
    np.testing.assert_array_equal(x, fmnist["x_train"][[0, 3]])
    big, ok = pixels_to_arrays(rows[[0]], (28, 28, 1), DecodeSettings((56, 56), 3))
    assert big.shape == (1, 56, 56, 3) and ok.all()


def test_pixel_rows_must_be_numbers(fmnist):
    rows = fmnist["x_train"][:2].reshape(2, -1).astype(object)
    rows[1, 5] = "12a"
    with pytest.raises(ValueError, match="pixel rows of dtype object: expected numbers, with "
                                         "NaN for a value that is not one"):
        pixels_to_arrays(rows, (28, 28, 1), GRAY)
