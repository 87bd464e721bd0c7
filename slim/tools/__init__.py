"""research/slim's command-line tools and their library code.

Installed as console commands (`train_image_classifier`, `eval_image_classifier`,
`export_inference_graph`, `download_and_convert_data`, `classify_images`,
`download_checkpoint`); each also runs as `python -m slim.tools.<tool>`, and from
a checkout as `python scripts/<tool>.py`. A tool's module holds its flags and
imports TensorFlow only after they parse (`_cli`); its work is in `train_lib`,
`eval_lib` and `export_lib`. `quickstart` is the README's main job.
"""
