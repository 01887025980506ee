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
    """Horizontal bars of 0-100 values, one group per label; used where a radar has too few axes."""
    row = 22
    group = row * max(1, len(series)) + 8
    legend_h = 22 if len(series) > 1 else 0
    height = group * len(labels) + 6 + legend_h
    left = 150
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" font-family="{FONT}">']
    y = 4
    for i, label in enumerate(labels):
        parts.append(f'<text x="{left - 8}" y="{y + row * len(series) / 2 + 5:.1f}" text-anchor="end" font-size="12" fill="#24292f">{escape(label)}</text>')
        for name, values, colour in series:
            w = (width - left - 40) * max(0.0, min(100.0, values[i])) / 100
            parts.append(f'<rect x="{left}" y="{y + 3}" width="{w:.1f}" height="{row - 6}" fill="{colour}"><title>{escape(name)}</title></rect>')
            parts.append(f'<text x="{left + w + 4:.1f}" y="{y + row - 7}" font-size="11" fill="#24292f">{values[i]:.0f}</text>')
            y += row
        y += 8
    if legend_h:
        x = float(left)
        for name, _values, colour in series:
            parts.append(f'<rect x="{x:.0f}" y="{y + 4}" width="12" height="12" fill="{colour}"/>')
            parts.append(f'<text x="{x + 16:.0f}" y="{y + 14}" font-size="12" fill="#24292f">{escape(name)}</text>')
            x += 30 + 13 * len(name)
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


def percentile_bars(rows: list[dict], width: int = 640) -> str:
    """Where the firm stands in its peer group, one row per measure.

    Each row: {label, value, p25, p50, p75, p90} on a 0-100 scale. The grey band
    spans the middle half of the peers (p25-p75), the tick is the median, the
    light mark the top decile's threshold and the dot the firm.
    """
    row_h, left, right = 30, 170, 50
    span = width - left - right
    height = row_h * len(rows) + 30

    def x(v: float) -> float:
        return left + span * max(0.0, min(100.0, v)) / 100

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" font-family="{FONT}">']
    for t in (0, 25, 50, 75, 100):
        parts.append(f'<line x1="{x(t):.1f}" y1="4" x2="{x(t):.1f}" y2="{height - 22}" stroke="#eaeef2" stroke-width="1"/>')
        parts.append(f'<text x="{x(t):.1f}" y="{height - 8}" text-anchor="middle" font-size="10" fill="#57606a">{t}</text>')
    for i, r in enumerate(rows):
        y = 8 + i * row_h
        mid = y + 9
        parts.append(f'<text x="{left - 8}" y="{mid + 4}" text-anchor="end" font-size="12" fill="#24292f">{escape(r["label"])}</text>')
        parts.append(f'<rect x="{left}" y="{mid - 2}" width="{span}" height="4" fill="#eaeef2"/>')
        if r.get("p25") is not None and r.get("p75") is not None:
            parts.append(f'<rect x="{x(r["p25"]):.1f}" y="{mid - 6}" width="{max(1.0, x(r["p75"]) - x(r["p25"])):.1f}" height="12" fill="#c9d1d9"><title>P25-P75</title></rect>')
        if r.get("p50") is not None:
            parts.append(f'<rect x="{x(r["p50"]) - 1:.1f}" y="{mid - 8}" width="2" height="16" fill="#57606a"/>')
        if r.get("p90") is not None:
            parts.append(f'<rect x="{x(r["p90"]) - 1:.1f}" y="{mid - 8}" width="2" height="16" fill="#1a7f37"/>')
        parts.append(f'<circle cx="{x(r["value"]):.1f}" cy="{mid}" r="6" fill="#1f6feb" stroke="#ffffff" stroke-width="1.5"/>')
        parts.append(f'<text x="{width - right + 8}" y="{mid + 4}" font-size="11" fill="#24292f">{r["value"]:.0f}</text>')
    parts.append("</svg>")
    return "".join(parts)


def meter(percent: float, width: int = 110, height: int = 8) -> str:
    """A small filled bar, drawn as SVG so no style attribute is needed (the web CSP forbids them)."""
    w = width * max(0.0, min(100.0, percent)) / 100
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="meter" viewBox="0 0 {width} {height}" width="{width}" height="{height}" aria-hidden="true">'
            f'<rect width="{width}" height="{height}" fill="#eaeef2"/><rect width="{w:.1f}" height="{height}" fill="#1f6feb"/></svg>')


def distribution(labels: list[str], shares: list[float], references: list[tuple[str, list[float | None]]] = (),
                 width: int = 560, height: int = 200) -> str:
    """Vertical bars of shares (percent) per level, with published reference shares as markers."""
    n = len(labels)
    left, bottom, top = 34, 46, 16
    plot_h = height - bottom - top
    step = (width - left - 10) / max(1, n)
    peak = max([max(shares, default=0.0)] + [v for _, vals in references for v in vals if v is not None] + [10.0])
    scale = plot_h / (peak * 1.1)
    legend_h = 18 * len(references)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height + legend_h}" width="{width}" height="{height + legend_h}" role="img" font-family="{FONT}">']
    base = top + plot_h
    parts.append(f'<line x1="{left}" y1="{base}" x2="{width - 10}" y2="{base}" stroke="#8c959f" stroke-width="1"/>')
    marks = ["#bf3989", "#bf8700", "#1a7f37"]
    for i, (label, share) in enumerate(zip(labels, shares)):
        x0 = left + i * step
        h = share * scale
        parts.append(f'<rect x="{x0 + step * 0.2:.1f}" y="{base - h:.1f}" width="{step * 0.6:.1f}" height="{h:.1f}" fill="#1f6feb"/>')
        parts.append(f'<text x="{x0 + step / 2:.1f}" y="{base - h - 4:.1f}" text-anchor="middle" font-size="11" fill="#24292f">{share:.0f}%</text>')
        for k, line in enumerate(_wrap(label, step)):
            parts.append(f'<text x="{x0 + step / 2:.1f}" y="{base + 15 + 14 * k}" text-anchor="middle" font-size="12" fill="#24292f">{escape(line)}</text>')
        for k, (_, vals) in enumerate(references):
            v = vals[i] if i < len(vals) else None
            if v is not None:
                parts.append(f'<rect x="{x0 + step * 0.12:.1f}" y="{base - v * scale - 1:.1f}" width="{step * 0.76:.1f}" height="3" fill="{marks[k % 3]}"/>')
    for k, (name, _) in enumerate(references):
        y = height + 4 + 18 * k
        parts.append(f'<rect x="{left}" y="{y + 4}" width="14" height="3" fill="{marks[k % 3]}"/>')
        parts.append(f'<text x="{left + 20}" y="{y + 10}" font-size="11" fill="#24292f">{escape(name)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def impact_effort(points: list[tuple[int, float, str]], effort_names: dict[str, str], impact_label: str,
                  effort_label: str, width: int = 560, height: int = 260) -> str:
    """Recommendations placed by effort (columns: low, medium, high) and expected gain (up),
    each a numbered dot that refers to the numbered list beside the chart."""
    left, right, top, bottom = 56, 12, 12, 44
    efforts = ("low", "medium", "high")
    col_w = (width - left - right) / len(efforts)
    peak = max([p[1] for p in points] + [1e-9])
    plot_h = height - top - bottom
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" aria-label="{escape(impact_label)} / {escape(effort_label)}" font-family="{FONT}">']
    for k, e in enumerate(efforts):
        x0 = left + k * col_w
        parts.append(f'<rect x="{x0 + 2:.1f}" y="{top}" width="{col_w - 4:.1f}" height="{plot_h}" fill="{"#f0f6fc" if k == 0 else "#f6f8fa"}"/>')
        parts.append(f'<text x="{x0 + col_w / 2:.1f}" y="{height - bottom + 16}" text-anchor="middle" font-size="12" fill="#24292f">{escape(effort_names[e])}</text>')
    parts.append(f'<text x="{left + (width - left - right) / 2:.1f}" y="{height - 6}" text-anchor="middle" font-size="11" fill="#57606a">{escape(effort_label)} →</text>')
    parts.append(f'<text x="14" y="{top + plot_h / 2:.1f}" text-anchor="middle" font-size="11" fill="#57606a" transform="rotate(-90 14 {top + plot_h / 2:.1f})">{escape(impact_label)} →</text>')
    seen: dict[tuple[int, int], int] = {}
    for n, gain, effort in points:
        k = efforts.index(effort) if effort in efforts else 1
        y = top + plot_h - 12 - (plot_h - 24) * gain / peak
        # Dots of equal height in one column sit side by side instead of on top of each other.
        slot = (k, round(y / 22))
        shift = seen.get(slot, 0)
        seen[slot] = shift + 1
        x = left + k * col_w + col_w / 2 + (shift % 2 * 2 - 1) * ((shift + 1) // 2) * 24
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="10" fill="#1f6feb"/>')
        parts.append(f'<text x="{x:.1f}" y="{y + 4:.1f}" text-anchor="middle" font-size="11" fill="#ffffff">{n}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _wrap(label: str, width: float, font: float = 12) -> list[str]:
    """A label in at most two lines that fit `width` px: split at the space nearest the middle
    (Latin text), or in the middle of a CJK label, only when one line would not fit."""
    def size(text: str) -> float:
        return sum(font if ord(ch) > 0x2e7f else font * 0.56 for ch in text)
    if size(label) <= width - 4:
        return [label]
    spaces = [i for i, ch in enumerate(label) if ch == " "]
    cut = min(spaces, key=lambda i: abs(i - len(label) / 2)) if spaces else len(label) // 2
    return [label[:cut].strip(), label[cut:].strip()]
