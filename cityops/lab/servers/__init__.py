"""The lab's servers: one real OpenSSH sshd per host, each in its own UTS and mount namespace.

What a check reads on a server (df, free, /proc/meminfo, /proc/loadavg, uptime,
systemctl, chronyc, rpm, /var/log/messages, the OS release) is rendered by
Python from the host's state and faults into files the host sees; tiny shell
shims on the host's PATH print them, so a check costs no interpreter start.
"""
