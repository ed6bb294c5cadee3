"""Pure handoff rules: scores, clocks, routing, escalation. No Textual, no peewee, no I/O."""
