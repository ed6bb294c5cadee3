"""Who gets an MQL (SPEC §2 "Routing and escalation"): account owner, first matching group,
round-robin inside it skipping reps who are away or at capacity."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from leadterm.config.schema import Config, RoutingGroup
from leadterm.engine.matching import email_domain, group_matches

__all__ = ["Decision", "Router", "RoutingState", "account_domain"]


@dataclass
class RoutingState:
    """The runtime facts routing reads and updates as it hands leads out in one pass."""

    away: set[str] = field(default_factory=set)
    open_counts: dict[str, int] = field(default_factory=dict)
    """Open (mql or sal) leads per rep."""
    cursors: dict[str, str] = field(default_factory=dict)
    """Per group, the member who got its previous lead."""


@dataclass(frozen=True)
class Decision:
    rep: str | None
    via: str
    """``account``, ``group``, or ``none`` when nobody could take the lead."""
    group: str | None
    reason: str
    """What matched and who was skipped and why, for the history."""
    skipped: tuple[tuple[str, str], ...] = ()


def account_domain(email: str | None, personal_domains: frozenset[str]) -> str | None:
    """The account an email belongs to; personal mail domains never form one."""
    domain = email_domain(email)
    return None if domain is None or domain in personal_domains else domain


class Router:
    def __init__(
        self,
        config: Config,
        state: RoutingState,
        account_owner: Callable[[str], str | None] = lambda domain: None,
    ) -> None:
        self.config = config
        self.state = state
        self.account_owner = account_owner

    # -- eligibility --------------------------------------------------------------------------
    def _unavailable(self, handle: str) -> str | None:
        if self.config.rep(handle) is None:
            return "not a rep in config.toml"
        if handle in self.state.away:
            return "away"
        return None

    def _not_eligible(self, handle: str) -> str | None:
        why = self._unavailable(handle)
        if why:
            return why
        capacity = self.config.rep(handle).capacity  # type: ignore[union-attr]
        load = self.state.open_counts.get(handle, 0)
        if capacity is not None and load >= capacity:
            return f"at capacity ({load}/{capacity})"
        return None

    def first_group(self, fields: Mapping[str, Any]) -> RoutingGroup | None:
        for group in self.config.routing.groups:
            if group_matches(group.match, fields):
                return group
        return None

    def _round_robin(
        self, group: RoutingGroup, skipped: list[tuple[str, str]], exclude: str | None = None
    ) -> str | None:
        members = group.members
        last = self.state.cursors.get(group.name)
        start = (members.index(last) + 1) % len(members) if last in members else 0
        for offset in range(len(members)):
            handle = members[(start + offset) % len(members)]
            why = "current owner" if handle == exclude else self._not_eligible(handle)
            if why is None:
                return handle
            skipped.append((handle, why))
        return None

    # -- decisions ----------------------------------------------------------------------------
    def route(self, fields: Mapping[str, Any]) -> Decision:
        skipped: list[tuple[str, str]] = []
        domain = account_domain(fields.get("email"), self.config.routing.personal_domains)
        owner = self.account_owner(domain) if domain else None
        if owner is not None:
            why = self._unavailable(owner)
            if why is None:
                return Decision(owner, "account", None, f"account owner of {domain}")
            skipped.append((owner, f"account owner of {domain}, {why}"))
        group = self.first_group(fields)
        if group is None:
            return Decision(None, "none", None, _explain("no routing group matches", skipped), tuple(skipped))
        return self._group_decision(group, skipped, None)

    def reassign(self, fields: Mapping[str, Any], current: str | None, group_name: str | None) -> Decision:
        """Another eligible member of the group the lead was routed through (or its first match)."""
        group = next((g for g in self.config.routing.groups if g.name == group_name), None)
        group = group or self.first_group(fields)
        if group is None:
            return Decision(None, "none", None, "no routing group matches")
        return self._group_decision(group, [], current)

    def _group_decision(
        self, group: RoutingGroup, skipped: list[tuple[str, str]], exclude: str | None
    ) -> Decision:
        rep = self._round_robin(group, skipped, exclude)
        if rep is None:
            return Decision(
                None, "none", group.name,
                _explain(f"group {group.name}: nobody eligible", skipped), tuple(skipped),
            )
        return Decision(
            rep, "group", group.name, _explain(f"group {group.name} round-robin", skipped), tuple(skipped)
        )

    def commit(self, decision: Decision, previous: str | None = None) -> None:
        """Record a decision that was carried out, so the rest of the pass sees it."""
        if decision.rep is None:
            return
        counts = self.state.open_counts
        counts[decision.rep] = counts.get(decision.rep, 0) + 1
        if previous is not None and counts.get(previous, 0) > 0:
            counts[previous] -= 1
        if decision.via == "group" and decision.group is not None:
            self.state.cursors[decision.group] = decision.rep


def _explain(head: str, skipped: list[tuple[str, str]]) -> str:
    if not skipped:
        return head
    return head + "; skipped " + ", ".join(f"{handle} ({why})" for handle, why in skipped)
