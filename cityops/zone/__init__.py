"""Zone runners: their signing keys and the bundles that carry their evidence to the centre."""
