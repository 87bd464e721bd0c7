"""research/slim's `preprocessing`, from a checkout: the package `slim.preprocessing` itself."""
from slim import _research_slim_paths

_research_slim_paths.alias(__name__)
