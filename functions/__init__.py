"""Lambda entry points, one folder per function (see crm.topology.FUNCTIONS)."""
