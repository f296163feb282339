"""The benchmarks' and tests' name for `crm.local.moto_speedups` (where `crm local` installs it too)."""

from crm.local.moto_speedups import check_fast_responses, installed, invalidate, put_raw

__all__ = ["check_fast_responses", "installed", "invalidate", "put_raw"]
