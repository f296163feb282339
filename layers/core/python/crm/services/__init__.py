"""Use cases: each takes the caller's grant and plain values, applies the domain, persists
through `crm.data`, and returns domain values. Handlers call these and nothing deeper."""
