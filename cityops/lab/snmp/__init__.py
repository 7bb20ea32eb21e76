"""The lab's SNMP agents (UPS, precision air conditioning, printers): one process, one UDP socket each."""
