"""Field values as bureau staff read them, and back: 市公安局 <-> gaj, 6-10 <-> 6_10, 每日 <-> daily.

The device archive (一机一档) is exported with Chinese names and imported from
spreadsheets the bureaus edit, so every field has one way out and one way back.
"""

from __future__ import annotations

from .model import Inventory
from .schema import BY_NAME, CADENCES, split_list

VOCAB_OF = {"bureau": "bureau", "site": "site", "zone": "zone", "device_class": "class", "cluster": "cluster",
            "subsystem": "subsystem"}
CADENCE_BY_NAME = {name: ident for ident, name in CADENCES.items()}


def lot_label(lot: str) -> str:
    return lot.replace("_", "-")


def to_cell(inv: Inventory, fieldname: str, value) -> str:
    """A host's field value as the archive shows it (always text: codes keep their digits)."""
    if value is None:
        return ""
    if fieldname in VOCAB_OF:
        return inv.vocabulary.name(VOCAB_OF[fieldname], str(value))
    if fieldname == "lots":
        return "、".join(lot_label(str(v)) for v in split_list(value))
    if fieldname == "cadences":
        return "、".join(CADENCES.get(str(v), str(v)) for v in split_list(value))
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    return str(value)


def from_cell(inv: Inventory, fieldname: str, text: str, lots: list[str] | None = None):
    """Parse an archive cell back into the inventory's value (identifiers, lists)."""
    text = (text or "").strip()
    if fieldname == "lots":
        from .schema import normalise_lot

        return [normalise_lot(v) for v in split_list(text)]
    if fieldname == "cadences":
        return [CADENCE_BY_NAME.get(v, v) for v in split_list(text)]
    if fieldname in VOCAB_OF and text:
        facet = VOCAB_OF[fieldname]
        known = inv.vocabulary.known(facet)
        if text in known:
            return text
        matches = [ident for ident, name in known.items() if name == text]
        if fieldname == "subsystem" and len(matches) > 1 and lots:
            matches = [m for m in matches if inv.vocabulary.subsystem_lot.get(m) in lots]
        if len(matches) == 1:
            return matches[0]
        return text  # unknown: kept as given, inventory.check will name it
    field = BY_NAME.get(fieldname)
    if field is not None and field.kind == "list":
        return split_list(text)
    return text
