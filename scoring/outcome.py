"""What a scoring method hands back to the engine."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass
class Outcome:
    total: np.ndarray     # (n,) the method's headline score
    max_total: float      # its maximum
    level: np.ndarray     # (n,) level reached
    state: dict[str, Any] = field(default_factory=dict)  # what `explain` needs
