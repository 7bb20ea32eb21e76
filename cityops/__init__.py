"""cityops: operations-as-code for the Karamay city IT operations contract."""

__version__ = "0.1.0"
