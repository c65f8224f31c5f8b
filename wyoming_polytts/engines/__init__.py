"""Synthesis engines: the interface (base.py), one folder per engine, and the registry."""
