"""Configuration backups (`invoke backup`): every device's configuration collected through its driver, judged
complete (capture), masked into a git store of its own (store), kept whole and encrypted (vault), recorded like
an inspection run (run), and read back for status, diffs, views and restores (history)."""
