"""统一社会信用代码 (GB 32100-2015): the check character and what is wrong with a code.

Plain functions with no Flask, so the forms, imports, the API and the demo seeder share them.
"""
from __future__ import annotations

# 18 characters from a 31-character alphabet (no I, O, S, V, Z); the last is a
# check character computed from the first 17 with fixed weights, modulo 31.
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def uscc_check_char(first17: str) -> str:
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(first17, USCC_WEIGHTS))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def uscc_error(code: str) -> str | None:
    """None when `code` is a well-formed credit code, else the reason it is not."""
    if len(code) != 18:
        return "length"
    bad = next((c for c in code if c not in USCC_ALPHABET), None)
    if bad is not None:
        return "character"
    if not code[2:8].isdigit():
        return "region"
    if uscc_check_char(code[:17]) != code[17]:
        return "check"
    return None


def normalise_uscc(code: str) -> str:
    return code.strip().upper().replace(" ", "")
