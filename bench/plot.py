"""One plot per benchmark section: each row's ratio to its baseline, round by round.

Needs matplotlib (`scripts/bootstrap requirements/bench.txt`); the PNGs go to
docs/benchmarks/ beside docs/benchmarks.md, which shows them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from harness import REPO

PLOTS = REPO / "docs" / "benchmarks"


@dataclass(frozen=True)
class RatioRow:
    label: str
    each_round: list[float]
    median: float
    target: float | None = None


def ratio_plot(
    rows: list[RatioRow], title: str, baseline: str, name: str, xlabel: str | None = None
) -> Path:
    """A horizontal bar per row (the median), a dot per round, a tick per target."""
    try:
        import matplotlib as mpl  # only the plotting step needs it

        mpl.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise SystemExit(
            "plotting needs matplotlib: scripts/bootstrap requirements/bench.txt"
        ) from exc
    figure, axes = plt.subplots(figsize=(8, 0.55 * len(rows) + 1.4))
    positions = list(range(len(rows)))[::-1]
    axes.barh(positions, [row.median for row in rows], color="#8fb3d9", label="median")
    for position, row in zip(positions, rows, strict=True):
        axes.scatter(row.each_round, [position] * len(row.each_round), color="#1f4e79", s=12)
        axes.annotate(
            f"{row.median:.3g}x",
            (row.median, position),
            xytext=(4, -4),
            textcoords="offset points",
            fontsize=8,
        )
        if row.target is not None:
            axes.plot([row.target] * 2, [position - 0.4, position + 0.4], color="#c0392b")
    axes.plot([], [], color="#c0392b", label="target")
    axes.scatter([], [], color="#1f4e79", s=12, label="each round")
    axes.set_yticks(positions, [row.label for row in rows], fontsize=8)
    axes.set_xlabel(xlabel or f"requests/s as a ratio to {baseline}, same round")
    axes.set_title(title, fontsize=10)
    axes.legend(fontsize=7, loc="lower right")
    figure.tight_layout()
    PLOTS.mkdir(parents=True, exist_ok=True)
    path = PLOTS / f"{name}.png"
    # The x label is centred under the bars, which long row labels push right: the
    # tight box widens the image to it instead of cutting it at the edge.
    figure.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(figure)
    return path
