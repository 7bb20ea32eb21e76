"""Inspections (巡检): the check catalogue, the runner, and the records a run leaves."""
