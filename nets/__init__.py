"""research/slim's `nets`, from a checkout: the package `slim.nets` itself."""
from slim import _research_slim_paths

_research_slim_paths.alias(__name__)
