"""A tree ensemble (exported from LightGBM) evaluated with numpy only: the line model's trees."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

#: rows evaluated together: the work arrays stay small (rows x trees), so memory is bounded
#: whatever the page's length, and they stay in cache (faster than one pass over a long page)
CHUNK_ROWS = 512


@dataclass
class Forest:
    """A tree ensemble as one flat node table, evaluated with numpy for all trees at once, in
    chunks of :data:`CHUNK_ROWS` rows.

    A split node's children sit side by side (the left child just before the right one), so one
    step is ``node = right[node] - (x[feature[node]] <= threshold[node])``. Leaves are nodes
    too: their threshold is NaN (no comparison holds) and their right child is themselves, so
    every row takes exactly ``depth`` steps in every tree without masking finished ones.
    """

    feature: np.ndarray  # (nodes,) feature tested at each node
    threshold: np.ndarray  # (nodes,) go left when the value is <= this; NaN at leaves
    right: np.ndarray  # (nodes,) global index of the right child (the left child is right - 1)
    value: np.ndarray  # (nodes,) leaf value (log-odds contribution); 0 for split nodes
    roots: np.ndarray  # (trees,) global index of each tree's root
    depth: int

    @classmethod
    def from_json(cls, trees: list[dict], depth: int) -> Forest:
        """From the trees as stored (per tree: split nodes' ``feature``, ``threshold``, ``left``,
        ``right`` with children >= 0 split nodes and < 0 ``~leaf index``, and ``leaf`` values)."""
        feature: list[int] = []
        threshold: list[float] = []
        right: list[int] = []
        value: list[float] = []
        roots = []

        def slot() -> int:
            feature.append(0)
            threshold.append(float("nan"))
            right.append(len(right))
            value.append(0.0)
            return len(feature) - 1

        for t in trees:
            root = slot()
            roots.append(root)
            todo = deque([(0 if len(t["feature"]) else ~0, root)])
            while todo:
                ref, me = todo.popleft()
                if ref < 0:  # a leaf: NaN threshold, its own right child
                    value[me] = float(t["leaf"][~ref])
                    continue
                left_slot, right_slot = slot(), slot()
                feature[me] = int(t["feature"][ref])
                threshold[me] = float(t["threshold"][ref])
                right[me] = right_slot
                todo.append((int(t["left"][ref]), left_slot))
                todo.append((int(t["right"][ref]), right_slot))
        return cls(
            np.array(feature, dtype=np.intp),
            np.array(threshold),
            np.array(right, dtype=np.intp),
            np.array(value),
            np.array(roots, dtype=np.intp),
            int(depth),
        )

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Probability for each row of ``X`` (sigmoid of the summed leaf values)."""
        n = X.shape[0]
        if n == 0:
            return np.zeros(0)
        X = np.ascontiguousarray(X, dtype=np.float64)
        score = np.empty(n)
        for a in range(0, n, CHUNK_ROWS):
            score[a : a + CHUNK_ROWS] = self._scores(X[a : a + CHUNK_ROWS])
        return 1.0 / (1.0 + np.exp(-score))

    def _scores(self, X: np.ndarray) -> np.ndarray:
        """Summed leaf values of each row of ``X`` (trees added in their order)."""
        m, f = X.shape
        flat = X.ravel()
        row_base = (np.arange(m, dtype=np.intp) * f)[:, None]
        node = np.tile(self.roots, (m, 1))
        for _ in range(self.depth):
            vals = flat[row_base + self.feature[node]]
            node = self.right[node] - (vals <= self.threshold[node])
        return self.value[node].sum(axis=1)
