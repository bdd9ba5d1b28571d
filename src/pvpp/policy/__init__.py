"""The PVPP2027 policy as versioned, validated data."""

from pvpp.policy.loader import (
    PolicyError,
    available_versions,
    load_policy,
    load_policy_file,
)
from pvpp.policy.models import Component, Dimension, Item, ItemKind, Lang, Policy, Text

__all__ = [
    "Component",
    "Dimension",
    "Item",
    "ItemKind",
    "Lang",
    "Policy",
    "PolicyError",
    "Text",
    "available_versions",
    "load_policy",
    "load_policy_file",
]
