"""Settings for the benchmark's baseline server: the product's, with the baseline views."""

from project.settings import *  # noqa: F403

ROOT_URLCONF = "bench.baseline"
