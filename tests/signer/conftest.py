"""The signer core and its local API without Qt: a thread plays the user, answering
approvals through the broker, so these run where PySide6 is not installed."""

from tests.helpers.signer import (  # noqa: F401  (fixtures)
    _isolated_env,
    api,
    ctx,
    data_dir,
    make_wallet,
    wallet,
)
