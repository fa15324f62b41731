"""Masking of personal data (DESIGN §6): shown whole only to whoever handles the case."""

import re


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


def mask_id_number(value: str | None) -> str:
    """Resident ID numbers show only their last 4 characters."""
    if not value:
        return ""
    return "*" * max(len(value) - 4, 0) + value[-4:]
