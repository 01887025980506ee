"""Industries (GB/T 4754-2017 divisions) and size classes (统计上大中小微型企业划分办法 2017).

Plain functions with no Flask, so forms, filters, imports, the API and the demo seeder share them.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

# --- GB/T 4754-2017 industries -----------------------------------------------------


@dataclass(frozen=True)
class Division:
    code: str
    section: str
    zh: str
    en: str

    def name(self, lang: str) -> str:
        return self.en if lang == "en" else self.zh


@lru_cache(maxsize=1)
def _industries() -> tuple[dict, dict[str, Division]]:
    data = yaml.safe_load((Path(__file__).parent / "data" / "industries.yaml").read_text(encoding="utf-8"))
    divisions = {
        code: Division(code, section, names["zh"], names["en"])
        for section, body in data.items()
        for code, names in body["divisions"].items()
    }
    return data, divisions


def sections() -> dict:
    return _industries()[0]


def division(code: str) -> Division | None:
    return _industries()[1].get(code)


def industry_label(code: str, lang: str) -> str:
    """'C34 通用设备制造业': section letter, division code and name."""
    d = division(code or "")
    return f"{d.section}{d.code} {d.name(lang)}" if d else ""


def section_name(section: str, lang: str) -> str:
    names = sections()[section]["name"]
    return names["en"] if lang == "en" else names["zh"]


def division_choices(lang: str) -> list[tuple[str, str, str]]:
    """(code, label, section label) for every division, in code order, for a grouped select."""
    return [(code, f"{code} {d.name(lang)}", f"{d.section} {section_name(d.section, lang)}") for code, d in _industries()[1].items()]


# --- size class (统计上大中小微型企业划分办法(2017)) -----------------------------------
# Per sector: lower bounds (employees, revenue in 10k yuan) for large, medium and
# small firms. A firm must reach both bounds of a class, otherwise it drops a
# class; micro firms are the rest. Revenue bounds of None mean headcount alone.
SIZE_CLASSES = ("large", "medium", "small", "micro")
_INDUSTRIAL = ((1000, 40000), (300, 2000), (20, 300))
_RULES = {
    "industrial": _INDUSTRIAL,
    "wholesale": ((200, 40000), (20, 5000), (5, 1000)),
    "retail": ((300, 20000), (50, 500), (10, 100)),
    "software": ((300, 10000), (100, 1000), (10, 50)),
    "other": ((300, None), (100, None), (10, None)),
}


def size_rule(division_code: str) -> str:
    d = division(division_code)
    if d is None:
        return "other"
    if d.section in ("B", "C", "D"):
        return "industrial"
    return {"51": "wholesale", "52": "retail", "65": "software"}.get(d.code, "other")


def size_class(division_code: str, employees: int, revenue_10k: float) -> str:
    for name, (min_emp, min_rev) in zip(SIZE_CLASSES, _RULES[size_rule(division_code)]):
        if employees >= min_emp and (min_rev is None or revenue_10k >= min_rev):
            return name
    return "micro"
