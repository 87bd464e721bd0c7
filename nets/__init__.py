"""Network definitions of the research/slim image models, and nets_factory."""
