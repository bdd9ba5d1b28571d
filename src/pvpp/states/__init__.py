"""The life cycles of what the store keeps: one module per thing, each an enum of its
states, the transitions allowed between them and the named groups other modules ask about
("which assignments need a reminder"). Pure: no database, no I/O."""
