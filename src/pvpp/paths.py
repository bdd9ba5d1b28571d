"""Where the project's own data folders live (policy, questionnaires, templates).

The data folders sit at the repository root so that VARAM can edit them without touching
code. ``PVPP_RESOURCES_DIR`` overrides the location for installed deployments.
"""

from __future__ import annotations

import os
from pathlib import Path

# src/pvpp/paths.py -> repository root; resolved once (every catalogue lookup asks).
_ROOT = Path(__file__).resolve().parents[2]


def resources_dir() -> Path:
    """Return the folder holding ``policy/``, ``questionnaires/`` and ``templates/``."""
    override = os.environ.get("PVPP_RESOURCES_DIR")
    if override:
        return Path(override)
    return _ROOT


def policy_dir() -> Path:
    """Folder of versioned policy files (``<version>.yaml``)."""
    return resources_dir() / "policy"


def questionnaires_dir() -> Path:
    """Folder of versioned questionnaire definitions (``<version>.yaml``)."""
    return resources_dir() / "questionnaires"
