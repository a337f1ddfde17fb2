"""Prompt files (`prompts/*.md`), loaded at run time; PROMPTS_DIR overrides them one by one."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

SHIPPED_DIR = Path(__file__).resolve().parent
_NAME = re.compile(r"[a-z0-9][a-z0-9_]{0,63}")


class PromptNotFound(LookupError):
    """No prompt file of that name, neither in the override folder nor shipped."""


def prompt_path(name: str, prompts_dir: str | Path | None = None) -> Path:
    """Where prompt `name` is read from: the override folder if it has the file, else ours."""
    if not _NAME.fullmatch(name):
        # Names come from code, but never let one walk out of the folder.
        raise PromptNotFound(f"not a prompt name: {name!r}")
    if prompts_dir:
        override = Path(prompts_dir).expanduser() / f"{name}.md"
        if override.is_file():
            return override
    shipped = SHIPPED_DIR / f"{name}.md"
    if not shipped.is_file():
        raise PromptNotFound(f"no prompt file {name}.md")
    return shipped


def load_prompt(name: str, prompts_dir: str | Path | None = None) -> str:
    """The text of prompt `name` (e.g. "summarize_thread"), surrounding whitespace removed.

    A file in `prompts_dir` (PROMPTS_DIR) wins; a missing one falls back to the shipped file.
    """
    return prompt_path(name, prompts_dir).read_text(encoding="utf-8").strip()


def prompt_version(names: tuple[str, ...], prompts_dir: str | Path | None = None) -> str:
    """A short fingerprint of these prompts' texts: editing a prompt changes it."""
    digest = hashlib.sha256()
    for name in names:
        digest.update(name.encode())
        digest.update(b"\0")
        digest.update(load_prompt(name, prompts_dir).encode("utf-8"))
        digest.update(b"\0")
    return digest.hexdigest()[:16]
