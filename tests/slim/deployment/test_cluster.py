"""slim.deployment.cluster: the cluster and task of a process, from flags or TF_CONFIG.
The processes themselves are tested on loopback in tests/slim/tools/test_train_cluster.py."""
import json

import pytest

from slim.deployment import cluster


def test_hosts_flags_give_the_task_and_its_cluster():
  task = cluster.task_of('h0:1', 'h1:2, h2:3', 'worker', 1)
  assert task.cluster_spec.as_dict() == {'ps': ['h0:1'], 'worker': ['h1:2', 'h2:3']}
  assert (task.job_name, task.task_index) == ('worker', 1)
  assert cluster.describe(task) == 'worker task 1 (h2:3)'
  assert cluster.describe(task, 'worker', 0) == 'the chief, worker task 0 (h1:2)'
  assert cluster.describe(task, 'ps', 0) == 'parameter server task 0 (h0:1)'


@pytest.mark.parametrize('job, index, expected', [
    ('chief', 0, ('worker', 0)), ('worker', 0, ('worker', 1)), ('worker', 1, ('worker', 2)),
    ('ps', 0, ('ps', 0))])
def test_a_chief_job_is_worker_task_0(job, index, expected):
  tf_config = {'cluster': {'chief': ['c:1'], 'worker': ['w:1', 'w:2'], 'ps': ['p:1'],
                           'evaluator': ['e:1']},
               'task': {'type': job, 'index': index}}
  task = cluster.task_of_tf_config({'TF_CONFIG': json.dumps(tf_config)})
  assert task.cluster_spec.as_dict() == {'worker': ['c:1', 'w:1', 'w:2'], 'ps': ['p:1']}
  assert (task.job_name, task.task_index) == expected


def test_no_tf_config_is_no_cluster():
  assert cluster.task_of_tf_config({}) is None
  assert cluster.task_of_tf_config({'TF_CONFIG': ' '}) is None


@pytest.mark.parametrize('tf_config, message', [
    ({'cluster': {'worker': ['w:1']}, 'task': {'type': 'worker', 'index': 0}},
     r'TF_CONFIG: the cluster has no parameter server'),
    ({'cluster': {'worker': ['w:1'], 'ps': ['p:1']}, 'task': {'type': 'ps', 'index': 1}},
     r"TF_CONFIG: task 1 of job 'ps' does not exist; the cluster has 1 ps tasks"),
    ({'cluster': {'worker': ['w:1'], 'ps': ['p:1']}}, r'TF_CONFIG must be JSON like'),
])
def test_a_bad_tf_config_says_what_is_expected(tf_config, message):
  with pytest.raises(ValueError, match=message):
    cluster.task_of_tf_config({'TF_CONFIG': json.dumps(tf_config)})
