"""Slack adapters, one module per surface; each exposes register(app, deps)."""

from handlers import events, feedback, kpi, reactions, rituals, upcoming

# events first: its middleware must see every request before the listeners do.
MODULES = (events, feedback, kpi, reactions, rituals, upcoming)
