"""I/O around the protocol: sources of bytes, the reader thread, its events.

Nothing in this package imports Textual: the UI turns these events into messages.
"""
