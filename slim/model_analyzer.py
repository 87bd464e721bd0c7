"""Sizes of the operations and variables of a model.

    slim.model_analyzer.analyze_ops(tf.compat.v1.get_default_graph(), print_info=True)
    slim.model_analyzer.analyze_vars(slim.get_model_variables(), print_info=True)

Variables may be graph variables or the eager variables of a `slim.Model`.
"""
__all__ = ['analyze_ops', 'analyze_vars', 'tensor_description']


def tensor_description(var):
  """'(dtype AxBxC)' for a tensor or variable, e.g. '(float32 1x8x8x1024)'."""
  sizes = 'x'.join(str(size) for size in var.get_shape().as_list()
                   ) if var.get_shape().ndims is not None else ''
  return '(%s %s)' % (var.dtype.name, sizes)


def _elements(tensor):
  return tensor.get_shape().num_elements() or 0


def analyze_ops(graph, print_info=False):
  """Total number of elements of the outputs of the operations of `graph`.

  Outputs of unknown size count 0.

  Args:
    graph: a `tf.Graph`.
    print_info: print one line 'name -> (type shapes) [size]' per operation.

  Returns:
    The total number of output elements.
  """
  if print_info:
    print('---------')
    print('Operations: name -> (type shapes) [size]')
    print('---------')
  total_size = 0
  for op in graph.get_operations():
    op_size = sum(_elements(output) for output in op.outputs)
    if print_info:
      shapes = [tensor_description(output) for output in op.outputs
                if output.get_shape().ndims is not None]
      print(op.name, '\t->', ', '.join(shapes), '[%d]' % op_size)
    total_size += op_size
  return total_size


def analyze_vars(variables, print_info=False):
  """Number of elements and bytes of `variables`.

  Args:
    variables: a list of variables, e.g. `tf.compat.v1.global_variables()`.
    print_info: print one line 'name (type shape) [size, bytes: n]' per
      variable, then the totals.

  Returns:
    (total number of elements, total bytes).
  """
  if print_info:
    print('---------')
    print('Variables: name (type shape) [size]')
    print('---------')
  total_size = 0
  total_bytes = 0
  for var in variables:
    var_size = _elements(var)
    var_bytes = var_size * var.dtype.size
    total_size += var_size
    total_bytes += var_bytes
    if print_info:
      print(var.name, tensor_description(var), '[%d, bytes: %d]' % (var_size, var_bytes))
  if print_info:
    print('Total size of variables: %d' % total_size)
    print('Total bytes of variables: %d' % total_bytes)
  return total_size, total_bytes
