"""The estate inventory: one loader, one schema, one selection syntax for every task."""

from .model import DEFAULT_ROOT, Group, Host, Inventory, load_inventory
from .problems import Problem

__all__ = ["DEFAULT_ROOT", "Group", "Host", "Inventory", "Problem", "load_inventory"]
