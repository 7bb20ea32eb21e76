"""The network side of the lab: one asyncssh process serving every switch, router and appliance.

Why asyncssh and not fakenos: fakenos answers fixed strings per command, sleeps
10 ms per echoed byte and runs several threads per session (LAB-NOTES: ~20 config
pulls/s per process, >=1.2 s per device). Here every answer is rendered from the
device's state and its active faults, one asyncio loop serves hundreds of
devices, and latency is a setting, not a side effect.
"""
