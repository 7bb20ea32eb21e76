"""The lab's HTTP endpoints: web sites and Redfish BMCs, one process per protocol."""
