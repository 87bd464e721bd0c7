"""Graph helpers: which graph a list of inputs lives in, and the current name scope."""
import tensorflow as tf

__all__ = ['get_graph_from_inputs', 'get_name_scope']


def _graph_of(value):
  """The graph of a Tensor, Operation or graph Variable; None for anything else."""
  if isinstance(value, (tf.Tensor, tf.Operation, tf.Variable)):
    try:
      return value.graph
    except (AttributeError, RuntimeError):  # eager values have no graph
      return None
  return None


def get_graph_from_inputs(op_input_list, graph=None):
  """Returns the graph that all graph-valued inputs belong to.

  Args:
    op_input_list: a list or tuple of inputs (Tensors, Operations, Variables or
      plain Python values, which are ignored).
    graph: optional graph that every input must belong to.

  Returns:
    `graph` if given, else the graph of the first graph-valued input, else the
    default graph.

  Raises:
    TypeError: `op_input_list` is not a list or tuple, or `graph` is not a Graph.
    ValueError: an input is not from `graph`, or inputs come from different graphs.
  """
  if not isinstance(op_input_list, (list, tuple)):
    raise TypeError('get_graph_from_inputs: op_input_list must be a list or tuple, '
                    'received %s.' % type(op_input_list).__name__)
  if graph is not None and not isinstance(graph, tf.Graph):
    raise TypeError('get_graph_from_inputs: graph must be a tf.Graph, received %r.'
                    % (graph,))
  found, first = graph, None
  for value in op_input_list:
    value_graph = _graph_of(value)
    if value_graph is None:
      continue
    if found is None:
      found, first = value_graph, value
    elif value_graph is not found:
      if graph is not None:
        raise ValueError('%s is not from the passed-in graph.' % (value,))
      raise ValueError('%s must be from the same graph as %s.' % (value, first))
  return found if found is not None else tf.compat.v1.get_default_graph()


def get_name_scope():
  """Returns the current name scope of the default graph, e.g. 'scope1/scope2'."""
  return tf.compat.v1.get_default_graph().get_name_scope()
