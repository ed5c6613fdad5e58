#!/bin/sh
# Print the path of a Python of the version given (e.g. 3.12), or nothing.
# Looks on PATH (python3.12), then in pyenv's versions (PYENV_ROOT, `pyenv root`, ~/.pyenv),
# then in the usual system folders; the newest patch release wins within pyenv.
want="${1:?usage: find_python.sh 3.12}"
is_wanted() {
    [ -x "$1" ] && "$1" -c "import sys; sys.exit(sys.version_info[:2] != tuple(map(int, '$want'.split('.'))))" 2>/dev/null
}
for name in "python$want"; do
    found=$(command -v "$name" 2>/dev/null) && is_wanted "$found" && { echo "$found"; exit 0; }
done
for root in "${PYENV_ROOT:-}" "$(pyenv root 2>/dev/null)" "$HOME/.pyenv"; do
    [ -n "$root" ] && [ -d "$root/versions" ] || continue
    for version in $(ls "$root/versions" | grep "^$want\." | sort -t. -k3 -n -r); do
        is_wanted "$root/versions/$version/bin/python" && {
            echo "$root/versions/$version/bin/python"; exit 0; }
    done
done
for candidate in "/usr/bin/python$want" "/usr/local/bin/python$want"; do
    is_wanted "$candidate" && { echo "$candidate"; exit 0; }
done
exit 0
