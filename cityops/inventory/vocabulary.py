"""The estate's vocabulary, read from the inventory's own groups.

Every bureau, lot, site, zone, subsystem, device class and cluster is an ansible
group with its Chinese name as a group variable (inventory/estate.yml). A host's
fields name these by identifier; the host joins `bureau_<id>`, `lot_<id>`,
`site_<id>`, `zone_<id>`, `subsystem_<id>`, `<class>s` and `cluster_<id>`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

IDENT = re.compile(r"^[a-z0-9][a-z0-9_]*$")

# facet -> (host field, group prefix, the group variable that declares it)
FACETS: dict[str, tuple[str, str, str]] = {
    "bureau": ("bureau", "bureau_", "bureau_name"),
    "lot": ("lots", "lot_", "lot_name"),
    "site": ("site", "site_", "site_name"),
    "zone": ("zone", "zone_", "zone_name"),
    "subsystem": ("subsystem", "subsystem_", "subsystem_name"),
    "class": ("device_class", "", "class_name"),
    "cluster": ("cluster", "cluster_", "cluster_name"),
}


def class_group(device_class: str) -> str:
    """Device classes group under their plural: core_switch -> core_switches, server -> servers."""
    if device_class.endswith(("s", "x", "ch", "sh")):
        return device_class + "es"
    return device_class + "s"


def class_of_group(group: str) -> str:
    if group.endswith("es") and group[:-2].endswith(("s", "x", "ch", "sh")):
        return group[:-2]
    return group[:-1]


def facet_group(facet: str, value: str) -> str:
    if facet == "class":
        return class_group(value)
    return FACETS[facet][1] + value


@dataclass
class Vocabulary:
    names: dict[str, dict[str, str]] = field(default_factory=dict)  # facet -> id -> Chinese name
    lot_bureau: dict[str, str] = field(default_factory=dict)
    subsystem_lot: dict[str, str] = field(default_factory=dict)
    clusters: dict[str, dict] = field(default_factory=dict)  # id -> cluster group vars

    def known(self, facet: str) -> dict[str, str]:
        return self.names.get(facet, {})

    def name(self, facet: str, ident: str) -> str:
        return self.known(facet).get(ident, ident)


def vocabulary_from_groups(groups: dict) -> Vocabulary:
    """Collect the declared values: a group declares one when it carries the facet's name variable."""
    voc = Vocabulary(names={facet: {} for facet in FACETS})
    for gname, group in groups.items():
        gvars = group.vars
        for facet, (_field, prefix, name_var) in FACETS.items():
            if name_var not in gvars:
                continue
            if facet == "class":
                ident = class_of_group(gname)
                if class_group(ident) != gname:
                    continue
            elif gname.startswith(prefix):
                ident = gname[len(prefix):]
            else:
                continue
            voc.names[facet][ident] = str(gvars[name_var])
            if facet == "lot" and "lot_bureau" in gvars:
                voc.lot_bureau[ident] = str(gvars["lot_bureau"])
            if facet == "subsystem" and "subsystem_lot" in gvars:
                voc.subsystem_lot[ident] = str(gvars["subsystem_lot"])
            if facet == "cluster":
                voc.clusters[ident] = dict(gvars)
    return voc
