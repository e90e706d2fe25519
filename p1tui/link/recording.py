"""The recorder's tap: a byte sink that saves what a source delivers, exactly as read.

:class:`RecordingSource` wraps any source and hands every byte it reads to a
:class:`Recording` (optionally masking the equipment IDs) before the reader frames it,
so the file holds junk and broken telegrams too, across reconnects.
"""

from __future__ import annotations

import threading
from typing import BinaryIO, Protocol

from .source import Source


class Masker(Protocol):
    """Rewrites the stream before it is saved: an ``IdMasker``, or ``EncryptedIdMasker``
    for a meter that encrypts."""

    def feed(self, data: bytes) -> bytes: ...

    def close(self) -> bytes: ...


class Recording:
    """The output file; written from the reader thread, closed from the main thread."""

    def __init__(self, file: BinaryIO, masker: Masker | None) -> None:
        self._file: BinaryIO | None = file
        self._masker = masker
        self._lock = threading.Lock()
        self.bytes_in = 0
        self.opened = False
        """True once the port opened: later failures are retried, not fatal."""

    def write(self, data: bytes) -> None:
        with self._lock:
            if self._file is None:
                return
            self.bytes_in += len(data)
            self._file.write(self._masker.feed(data) if self._masker else data)
            self._file.flush()

    def close(self) -> None:
        with self._lock:
            file, self._file = self._file, None
            if file is not None:
                if self._masker:
                    file.write(self._masker.close())
                file.close()


class RecordingSource:
    """A source that hands every byte it reads to the recording as well."""

    def __init__(self, inner: Source, recording: Recording) -> None:
        self._inner = inner
        self._recording = recording

    def open(self) -> None:
        self._inner.open()
        self._recording.opened = True

    def read(self, max_bytes: int = 4096) -> bytes:
        data = self._inner.read(max_bytes)
        if data:
            self._recording.write(data)
        return data

    def close(self) -> None:
        self._inner.close()

    def describe(self) -> str:
        return self._inner.describe()
