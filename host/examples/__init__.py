"""Example competitions built from the real Fashion-MNIST images (MIT), for demos, tests
and benchmarks."""
