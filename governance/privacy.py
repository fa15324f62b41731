"""Masking of personal data (DESIGN §6): shown whole only to whoever handles the case.

Phone numbers are masked wherever a person's data is shown: the fields that hold one
(``mask_phone``) and free text someone typed one into — a description, a note, a comment,
a finding (``mask_phones_in_text``). The current handler sees them whole only through the
case's audited reveal (``phones_in_text`` lists what it shows).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

# A mainland mobile (11 digits from 13…19, typed whole or as 3-4-4 with a space or dash),
# or a landline with its area code (010-12345678, 0731 8888666), optionally after +86 / 0086.
# Digits right before or after belong to something else (a 15-digit area code, an id).
PHONE_IN_TEXT = re.compile(
    r"(?<![0-9])"
    r"(?P<prefix>(?:\+|00)?86[ -]?)?"
    r"(?P<number>1[3-9][0-9](?:[ -]?[0-9]{4}){2}|0[0-9]{2,3}[ -]?[0-9]{7,8})"
    r"(?![0-9])"
)


def mask_phone(value: str | None) -> str:
    """13812345678 → 138****5678; short or odd numbers keep only their last 2 characters."""
    if not value:
        return ""
    digits = re.sub(r"\s", "", value)
    if len(digits) >= 11:
        return f"{digits[:3]}****{digits[-4:]}"
    if len(digits) > 4:
        return "*" * (len(digits) - 2) + digits[-2:]
    return "*" * len(digits)


def _digits(number: str) -> str:
    return re.sub(r"[ -]", "", number)


def mask_phones_in_text(text: str | None) -> str:
    """Every phone number in ``text`` masked like a phone field: ``居民电话13912345678`` →
    ``居民电话139****5678`` (a landline ``0731-88886666`` → ``073****6666``)."""
    if not text:
        return text or ""
    return PHONE_IN_TEXT.sub(
        lambda m: (m.group("prefix") or "") + mask_phone(_digits(m.group("number"))), text
    )


def phones_in_text(*texts: str | None) -> list[str]:
    """The phone numbers typed into ``texts`` (digits only, each once, in order): what the
    audited reveal shows the current handler besides the reporter's own number."""
    found: list[str] = []
    for text in texts:
        for match in PHONE_IN_TEXT.finditer(text or ""):
            number = _digits(match.group("number"))
            if number not in found:
                found.append(number)
    return found


def mask_id_number(value: str | None) -> str:
    """Resident ID numbers show only their last 4 characters."""
    if not value:
        return ""
    return "*" * max(len(value) - 4, 0) + value[-4:]


# No docstring on purpose: drf-spectacular would take it for the description of every
# serializer without one of its own.
class MasksPhonesInText:
    # A serializer mixin: the answer's ``free_text_fields`` have phone numbers masked. Named
    # once per serializer, so a field added later is masked by naming it, and the schema
    # keeps the model's own field (type, length, null) as it was.

    free_text_fields: Iterable[str] = ()

    def to_representation(self, instance: Any) -> Any:
        data = super().to_representation(instance)  # type: ignore[misc]
        for name in self.free_text_fields:
            if isinstance(data.get(name), str):
                data[name] = mask_phones_in_text(data[name])
        return data
