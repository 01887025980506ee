"""Charts as SVG markup made in Python, used by the web page and the PDF alike.

Only presentation attributes are used (no style attributes), so the markup
passes a strict Content-Security-Policy; every label is escaped.
"""
from __future__ import annotations

import math
from html import escape

FONT = "Noto Sans CJK SC, Noto Sans SC, sans-serif"


def radar(axes: list[str], series: list[tuple[str, list[float], str]], size: int = 360) -> str:
    """A radar of 0-100 values; `series` is (name, values, colour), drawn in order."""
    n = len(axes)
    if n < 3:
        return bar(axes, series)
    width = size + 120  # room for axis labels left and right
    cx, cy = width / 2, size / 2
    r = size * 0.32

    def point(i: int, value: float) -> tuple[float, float]:
        angle = -math.pi / 2 + 2 * math.pi * i / n
        k = r * max(0.0, min(100.0, value)) / 100
        return cx + k * math.cos(angle), cy + k * math.sin(angle)

    legend_h = 22 if len(series) > 1 else 0
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {size + legend_h}" width="{width}" height="{size + legend_h}" role="img" aria-label="{escape(" / ".join(axes))}" font-family="{FONT}">']
    for ring in (20, 40, 60, 80, 100):
        pts = " ".join(f"{x:.1f},{y:.1f}" for x, y in (point(i, ring) for i in range(n)))
        parts.append(f'<polygon points="{pts}" fill="none" stroke="#d0d7de" stroke-width="1"/>')
    for i, label in enumerate(axes):
        x, y = point(i, 100)
        parts.append(f'<line x1="{cx}" y1="{cy}" x2="{x:.1f}" y2="{y:.1f}" stroke="#d0d7de" stroke-width="1"/>')
        lx, ly = point(i, 122)
        anchor = "middle" if abs(lx - cx) < 8 else ("start" if lx > cx else "end")
        parts.append(f'<text x="{lx:.1f}" y="{ly + 4:.1f}" text-anchor="{anchor}" font-size="13" fill="#24292f">{escape(label)}</text>')
    for name, values, colour in series:
        pts = " ".join(f"{x:.1f},{y:.1f}" for x, y in (point(i, v) for i, v in enumerate(values)))
        parts.append(f'<polygon points="{pts}" fill="{colour}" fill-opacity="0.18" stroke="{colour}" stroke-width="2"><title>{escape(name)}</title></polygon>')
        for i, v in enumerate(values):
            x, y = point(i, v)
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}"/>')
    if legend_h:
        x = 10.0
        for name, _values, colour in reversed(series):
            parts.append(f'<rect x="{x:.0f}" y="{size + 6}" width="12" height="12" fill="{colour}"/>')
            parts.append(f'<text x="{x + 16:.0f}" y="{size + 16}" font-size="12" fill="#24292f">{escape(name)}</text>')
            x += 30 + 13 * len(name)
    parts.append("</svg>")
    return "".join(parts)


def bar(labels: list[str], series: list[tuple[str, list[float], str]], width: int = 480) -> str:
    """Horizontal bars of 0-100 values; used where a radar has too few axes."""
    row = 26
    height = row * len(labels) * max(1, len(series)) + 10
    left = 150
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" font-family="{FONT}">']
    y = 5
    for i, label in enumerate(labels):
        for name, values, colour in series:
            w = (width - left - 40) * max(0.0, min(100.0, values[i])) / 100
            parts.append(f'<text x="{left - 8}" y="{y + 16}" text-anchor="end" font-size="12" fill="#24292f">{escape(label)}</text>')
            parts.append(f'<rect x="{left}" y="{y + 4}" width="{w:.1f}" height="16" fill="{colour}"><title>{escape(name)}</title></rect>')
            parts.append(f'<text x="{left + w + 4:.1f}" y="{y + 16}" font-size="11" fill="#24292f">{values[i]:.0f}</text>')
            y += row
    parts.append("</svg>")
    return "".join(parts)


def level_ladder(level_names: list[str], current_index: int, width: int = 480) -> str:
    """Steps from the lowest level to the highest with the firm's step filled."""
    n = len(level_names)
    step_w = width / n
    height = 30 + 14 * n
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height + 24}" width="{width}" height="{height + 24}" role="img" font-family="{FONT}">']
    for i, name in enumerate(level_names):
        h = 30 + 14 * i
        x = i * step_w
        fill = "#1f6feb" if i == current_index else ("#9ec5fe" if i < current_index else "#eaeef2")
        parts.append(f'<rect x="{x + 2:.1f}" y="{height - h}" width="{step_w - 4:.1f}" height="{h}" fill="{fill}"/>')
        colour = "#ffffff" if i == current_index else "#24292f"
        parts.append(f'<text x="{x + step_w / 2:.1f}" y="{height - 8}" text-anchor="middle" font-size="12" fill="{colour}">{escape(name)}</text>')
    parts.append("</svg>")
    return "".join(parts)
