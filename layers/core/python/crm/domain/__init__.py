"""Pure business rules: no AWS, no I/O, no clock of their own."""
