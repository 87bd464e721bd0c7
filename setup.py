"""Installs `slim-tf`: the one import package `slim` (the TF-Slim core, and inside it
the image-models library and the command-line tools)."""
import setuptools

TENSORFLOW = "2.21"
# TensorFlow 2.21 no longer depends on TensorBoard; the README's installs bring it.
TENSORBOARD = f"tensorboard~={TENSORFLOW}.0"

setuptools.setup(
    name="slim-tf",
    version="2.21.0",
    description="TF-Slim for today's TensorFlow: layers, arg_scope, losses, metrics, "
                "training loops and the research/slim image models, without tf_keras.",
    long_description=open("README.md").read(),
    long_description_content_type="text/markdown",
    license="Apache-2.0",  # as tf-slim and research/slim
    license_files=["LICENSE"],
    classifiers=[
        "Development Status :: 4 - Beta",
        "Intended Audience :: Developers",
        "Intended Audience :: Education",
        "Intended Audience :: Science/Research",
        "License :: OSI Approved :: Apache Software License",
        "Operating System :: OS Independent",
        "Programming Language :: Python :: 3",
        "Programming Language :: Python :: 3 :: Only",
        "Programming Language :: Python :: 3.10",
        "Programming Language :: Python :: 3.11",
        "Programming Language :: Python :: 3.12",
        "Programming Language :: Python :: 3.13",
        "Topic :: Scientific/Engineering :: Artificial Intelligence",
        "Topic :: Software Development :: Libraries :: Python Modules",
    ],
    python_requires=">=3.10",  # as TensorFlow 2.21
    packages=setuptools.find_packages(include=["slim", "slim.*"]),
    # What slim's modules import besides TensorFlow (tests/test_layout.py checks it).
    install_requires=["absl-py", "numpy"],
    entry_points={"console_scripts": [
        "download_and_convert_data=slim.tools.download_and_convert_data:console_main",
        "train_image_classifier=slim.tools.train_image_classifier:console_main",
        "eval_image_classifier=slim.tools.eval_image_classifier:console_main",
        "export_inference_graph=slim.tools.export_inference_graph:console_main",
        "classify_images=slim.tools.classify_images:console_main",
        "download_checkpoint=slim.tools.download_checkpoint:console_main",
        "post_training_quantization=slim.tools.post_training_quantization:console_main",
    ]},
    extras_require={
        # TensorFlow is an extra so that a GPU install never gets the CPU wheel on top.
        "cpu": [f"tensorflow-cpu~={TENSORFLOW}.0", TENSORBOARD],
        "gpu": [f"tensorflow[and-cuda]~={TENSORFLOW}.0", TENSORBOARD],
        # The offline default dataset: the 8x8 digits that ship inside scikit-learn.
        "digits": ["scikit-learn"],
        # LiteRT, to run .tflite files (post_training_quantization falls back to
        # TensorFlow's deprecated tf.lite.Interpreter without it).
        "litert": ["ai-edge-litert"],
        # The reference implementation (tf-slim 1.1.0 and the tf-keras it needs) is
        # used by the reference tests and the benchmarks only.
        "test": [f"tensorflow~={TENSORFLOW}.0", f"tf-keras~={TENSORFLOW}.0", "tf-slim==1.1.0",
                 "pytest", "pytest-xdist", "scikit-learn", "pillow",
                 # the walkthrough notebook's test, and the TFLite check in LiteRT
                 "nbclient", "nbformat", "ipykernel", "matplotlib", "ai-edge-litert"],
    },
)
