"""tf_slim's `metrics.metric_ops` path: every streaming metric, gathered from
the files of their families (basics, curves, ranking, top_k, regression,
aggregation)."""
# pylint: disable=wildcard-import,unused-import
from slim.metrics.aggregation import *
from slim.metrics.aggregation import _next_array_size
from slim.metrics.basics import *
from slim.metrics.curves import *
from slim.metrics.ranking import *
from slim.metrics.regression import *
from slim.metrics.top_k import *
from slim.metrics import aggregation as _aggregation
from slim.metrics import basics as _basics
from slim.metrics import curves as _curves
from slim.metrics import ranking as _ranking
from slim.metrics import regression as _regression
from slim.metrics import top_k as _top_k

__all__ = sorted(_aggregation.__all__ + _basics.__all__ + _curves.__all__ + _ranking.__all__ +
                 _regression.__all__ + _top_k.__all__)
