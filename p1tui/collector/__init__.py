"""The collector (``p1tui serve``): owns the meter's port day and night, keeps the history
and re-serves the raw stream to other programs over TCP. Plain Python, no Textual."""
