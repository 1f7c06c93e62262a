"""Starts the kernel: python -m circ_kernel -f CONNECTION_FILE (what kernel.json runs)."""
from ipykernel.kernelapp import IPKernelApp

from .kernel import CircKernel

IPKernelApp.launch_instance(kernel_class=CircKernel)
