"""The control plane (`/_admin`): reset, seed, inspect, time travel, fault injection."""
