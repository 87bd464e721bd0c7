"""model_deploy: clones over devices and parameter servers, and tf.distribute."""
