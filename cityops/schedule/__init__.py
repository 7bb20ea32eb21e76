"""Unattended operation: what the runner runs and when (plan), its crontab (crontab), one firing (fire)."""
