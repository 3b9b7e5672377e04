"""Fault-injection helpers: local venue servers (127.0.0.1 only), the headless console rig, the report."""
