"""Slack adapters, one module per surface; each exposes register(app, deps)."""

from handlers import (
    digest,
    events,
    feedback,
    home,
    install,
    kpi,
    reactions,
    retros,
    rituals,
    stack,
    summarize,
)

# events first: its middleware must see every request before the listeners do.
MODULES = (
    events,
    feedback,
    kpi,
    reactions,
    retros,
    rituals,
    home,
    stack,
    summarize,
    digest,
    install,
)
