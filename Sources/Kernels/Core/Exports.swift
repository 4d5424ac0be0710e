// The configuration types, precisions and analytical defaults live in KernelModel (no build
// flags, so that the runtime library can use them); every user of Kernels sees them too.
@_exported import KernelModel
// The team, test data, weight formats and dot-product layers: every user of Kernels sees them too.
@_exported import PortableKernels
