"""The lab's IPMI BMCs (IBM IMM, Dell iDRAC6): one process, RMCP+ on each BMC address."""
