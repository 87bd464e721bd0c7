"""research/slim's `deployment`, from a checkout: the package `slim.deployment` itself."""
from slim import _research_slim_paths

_research_slim_paths.alias(__name__)
