"""The lab: a simulated Karamay estate on this machine, with faults that can be injected.

Real processes speak real protocols on the inventory's own loopback addresses:
`lab.up` starts one server process per protocol (not per device), `lab.fault`
changes device state that the servers read live, `lab.down` stops every process
by its PID. Tests start their own lab on their own address block and state dir.
"""
