"""Per-network image preprocessing, and preprocessing_factory."""
