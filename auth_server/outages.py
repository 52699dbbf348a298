"""The one failure every layer must tell apart from a bug: the database is not answering.

The store raises :class:`StoreUnavailable`; the web layer answers it 503 with
``Retry-After``; the CLI prints one line. It lives below both (the store imports nothing
else of Sigil), so that the web layer can name it without reaching into the store.
"""

from __future__ import annotations


class StoreUnavailable(RuntimeError):
    """The database cannot be reached (wrong URL, server down, bad credentials), or lost
    its connection mid-run (a restart, a failover): the server answers 503 and the request
    may be tried again, since its transaction was not committed."""
