"""Benchmarks that run the real code on in-process moto (not collected by pytest: no test_ files).

Importing this package prepares the process the way `tests/conftest.py` prepares a test run:
dummy credentials, one region, quiet Powertools and the topology's table names. It has to happen
before anything imports `crm.data`, whose models bind table names and region at import; being the
package's import side effect, it precedes every module below.
"""

from tests import environment

environment.apply()
