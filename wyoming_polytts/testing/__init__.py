"""Helpers shared by the tests and the benchmark scripts: a fake engine, a tiny CSM, a Home
Assistant stand-in, a client that streams as Home Assistant does, and a server launcher.

Nothing here is imported by the server itself.
"""
