"""The protocol package's own exception family."""


class DSMRError(Exception):
    """Base of every error the protocol package raises."""


class ParseError(DSMRError):
    """A frame could not be turned into a telegram (no header, no data lines, not text)."""
