# The known ledger of the list tests serves the export tests too.
from tests.listes.conftest import grand_livre  # noqa: F401
