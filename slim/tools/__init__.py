"""research/slim's command-line tools and their library code.

Installed as console commands (`train_image_classifier`, `eval_image_classifier`,
`export_inference_graph`, `download_and_convert_data`, `classify_images`); each
also runs as `python -m slim.tools.<tool>`, and from a checkout as
`python scripts/<tool>.py`. `export_lib` is the export library, `quickstart` the
README's main job.
"""
