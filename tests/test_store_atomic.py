import pytest

from shared.store.atomic import write_bytes_atomic, write_text_atomic


def test_a_file_is_replaced_whole_and_no_temporary_stays(tmp_path):
    path = tmp_path / "preview.png"
    assert write_bytes_atomic(path, b"\x89PNG first") == path
    write_text_atomic(path, "second ü")
    assert path.read_text(encoding="utf-8") == "second ü"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["preview.png"]


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path):
    path = tmp_path / "kernel.py"
    write_text_atomic(path, "old")
    with pytest.raises(TypeError):  # fails after the temporary file was opened
        write_bytes_atomic(path, "text is not bytes")
    assert path.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kernel.py"]
