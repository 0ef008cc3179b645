"""Asset definitions, one module per layer of the graph."""
