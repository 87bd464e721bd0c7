"""research/slim's `datasets`, from a checkout: the package `slim.datasets` itself."""
from slim import _research_slim_paths

_research_slim_paths.alias(__name__)
