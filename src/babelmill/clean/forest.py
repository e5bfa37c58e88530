"""A tree ensemble (exported from LightGBM) evaluated with numpy only: the line model's trees."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Forest:
    """A tree ensemble as one flat node table, evaluated with numpy for all rows and trees at once.

    Leaves are nodes too: they test feature 0 against +inf and lead back to themselves, so every
    row takes exactly ``depth`` steps in every tree without masking finished ones.
    """

    feature: np.ndarray  # (nodes,) feature tested at each node
    threshold: np.ndarray  # (nodes,) go left when the value is <= this
    left: np.ndarray  # (nodes,) global index of the left child
    right: np.ndarray
    value: np.ndarray  # (nodes,) leaf value (log-odds contribution); 0 for split nodes
    roots: np.ndarray  # (trees,) global index of each tree's root
    depth: int

    @classmethod
    def from_json(cls, trees: list[dict], depth: int) -> Forest:
        feature: list[int] = []
        threshold: list[float] = []
        left: list[int] = []
        right: list[int] = []
        value: list[float] = []
        roots = []
        for t in trees:
            base = len(feature)
            n_split = len(t["feature"])
            n_leaf = len(t["leaf"])

            def ref(child: int, base: int = base, n_split: int = n_split) -> int:
                return base + (child if child >= 0 else n_split + ~child)

            for k in range(n_split):
                feature.append(int(t["feature"][k]))
                threshold.append(float(t["threshold"][k]))
                left.append(ref(int(t["left"][k])))
                right.append(ref(int(t["right"][k])))
                value.append(0.0)
            for k in range(n_leaf):
                me = base + n_split + k
                feature.append(0)
                threshold.append(float("inf"))
                left.append(me)
                right.append(me)
                value.append(float(t["leaf"][k]))
            roots.append(base if n_split else base + n_split)
        return cls(
            np.array(feature, dtype=np.intp),
            np.array(threshold),
            np.array(left, dtype=np.intp),
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
        flat = X.ravel()
        row_base = (np.arange(n, dtype=np.intp) * X.shape[1])[:, None]
        node = np.broadcast_to(self.roots, (n, len(self.roots))).copy()
        for _ in range(self.depth):
            vals = flat[row_base + self.feature[node]]
            node = np.where(vals <= self.threshold[node], self.left[node], self.right[node])
        score = self.value[node].sum(axis=1)
        return 1.0 / (1.0 + np.exp(-score))
