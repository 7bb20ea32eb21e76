"""Ansible inventory plugin: the cityops estate as ansible sees it.

Ansible's own yaml plugin reads the host files of inventory/; this plugin adds
the bulk CSV hosts (cameras, terminals) and puts every host into the groups
its fields name (bureau_gxj, lot_6_10, site_dzzw, core_switches, ...). It calls
the cityops loader itself, so ansible and every cityops task see one inventory.
"""

from __future__ import annotations

DOCUMENTATION = r"""
name: cityops_estate
short_description: cityops estate (bulk CSV hosts and facet groups)
description:
  - Loads the cityops inventory directory containing this config file with cityops' own loader.
  - Adds the hosts of the CSV files listed in C(sources) and adds every host to the groups
    named by its bureau, lots, site, zone, subsystem, device_class and cluster fields.
options:
  plugin:
    description: Marks this file as a cityops_estate config.
    required: true
    choices: ['cityops_estate']
  sources:
    description: CSV files (relative to this file) and the defaults their rows share.
    type: list
    elements: dict
    required: true
"""

from pathlib import Path

from ansible.errors import AnsibleParserError
from ansible.plugins.inventory import BaseInventoryPlugin

MAX_WARNINGS = 20
TEMPLATE_MARKERS = ("{{", "{%", "{#")


def plain_unless_template(value):
    """Bureau data as plain values, trusted only where nothing in them could template: ansible-core 2.19 leaves a
    plugin's strings untrusted, which `ansible-inventory --list --export` (what AWX syncs) writes as
    {"__ansible_unsafe": …} for every value of the 7,520 CSV hosts, and AWX stores the dict. A string holding a
    Jinja marker stays untrusted, so a `{{ … }}` planted in a bureau's spreadsheet is never templated."""
    from ansible.template import trust_as_template

    if isinstance(value, str):
        return value if any(m in value for m in TEMPLATE_MARKERS) else trust_as_template(value)
    if isinstance(value, list):
        return [plain_unless_template(v) for v in value]
    if isinstance(value, dict):
        return {k: plain_unless_template(v) for k, v in value.items()}
    return value


class InventoryModule(BaseInventoryPlugin):
    NAME = "cityops_estate"

    def verify_file(self, path):
        return super().verify_file(path) and path.endswith((".cityops.yml", ".cityops.yaml"))

    def parse(self, inventory, loader, path, cache=True):
        super().parse(inventory, loader, path, cache)
        self._read_config_data(path)
        try:
            from cityops.inventory import load_inventory
        except ImportError as exc:  # ansible run outside the project's virtualenv
            raise AnsibleParserError(
                f"cityops is not importable ({exc}); run ansible from the cityops virtualenv (.venv/bin)"
            ) from exc
        estate = load_inventory(Path(path).parent)
        for problem in estate.problems[:MAX_WARNINGS]:
            self.display.warning(f"cityops inventory: {problem}")
        if len(estate.problems) > MAX_WARNINGS:
            self.display.warning(
                f"cityops inventory: {len(estate.problems) - MAX_WARNINGS} more problems; run `invoke inventory.check`"
            )
        for host in estate.hosts.values():
            if host.origin == "csv":
                self.inventory.add_host(host.name)
                for key, value in host.own_vars.items():
                    self.inventory.set_variable(host.name, key, plain_unless_template(value))
            elif host.name not in self.inventory.hosts:
                continue  # a YAML host ansible did not load (this file was given alone)
            for group in host.facet_groups:
                self.inventory.add_group(group)
                self.inventory.add_host(host.name, group=group)

