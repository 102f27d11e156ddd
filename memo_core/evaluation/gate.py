"""The gate: each check a candidate must pass before a reviewer is asked, and why it failed."""

from __future__ import annotations

from dataclasses import dataclass

from memo_core.evaluation.config import GateConfig


@dataclass(frozen=True)
class GateCheck:
    name: str  # new_knowledge | new_knowledge_probes | retention_drop | canary_drift: reports and tags use it
    value: float
    limit: float
    passed: bool

    def describe(self) -> str:
        if self.name == "new_knowledge":
            return f"new_knowledge {self.value:.3f} < min_new_knowledge {self.limit:.3f}"
        if self.name == "new_knowledge_probes":
            return f"new_knowledge_probes {self.value:.3f} < min_probe_em {self.limit:.3f}"
        return f"{self.name} {self.value:.3f} > max_{self.name} {self.limit:.3f}"


@dataclass
class GateResult:
    checks: list[GateCheck]

    @property
    def passed(self) -> bool:
        return all(check.passed for check in self.checks)

    @property
    def failures(self) -> list[str]:
        return [check.describe() for check in self.checks if not check.passed]


def apply_gate(
    config: GateConfig,
    new_knowledge: float | None,
    retention: float | None,
    champion_retention: float | None,
    canary_drift: float | None = None,
    probes: float | None = None,
) -> GateResult:
    """Pass only if the candidate learnt enough new knowledge, forgot no more than allowed and lost no more
    general ability than allowed; a check without a measurement (no champion, say) is not run."""
    checks: list[GateCheck] = []
    if new_knowledge is not None:
        limit = config.min_new_knowledge
        checks.append(GateCheck("new_knowledge", new_knowledge, limit, new_knowledge >= limit))
    if probes is not None:
        limit = config.min_probe_em
        checks.append(GateCheck("new_knowledge_probes", probes, limit, probes >= limit))
    if retention is not None and champion_retention is not None:
        drop, limit = champion_retention - retention, config.max_retention_drop
        checks.append(GateCheck("retention_drop", drop, limit, drop <= limit))
    if canary_drift is not None:
        limit = config.max_canary_drift
        checks.append(GateCheck("canary_drift", canary_drift, limit, canary_drift <= limit))
    return GateResult(checks)
