"""The ``stixflow`` command: one module per command group."""
