"""The history: an exact, small, crash-safe record of the meter in SQLite (no Textual).

``open_store`` opens it (a writer takes the single-writer lock), a
:class:`HistoryWriter` records telegrams into it in batches, a :class:`StoreConsumer`
feeds a writer from a link subscription on its own thread, and :mod:`.query` reads
periods back as energy and costs.
"""

from .consumer import StoreConsumer
from .lock import StoreLocked
from .settings import HistorySettings, default_db_path, load_history_settings
from .store import Store, StoreError, open_store
from .writer import HistoryWriter

__all__ = [
    "HistorySettings",
    "HistoryWriter",
    "Store",
    "StoreConsumer",
    "StoreError",
    "StoreLocked",
    "default_db_path",
    "load_history_settings",
    "open_store",
]
