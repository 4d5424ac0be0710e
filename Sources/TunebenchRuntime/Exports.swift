// A deployment names layers and reads configurations with KernelModel's types (Layer,
// Precision, KernelConfig): `import TunebenchRuntime` brings them.
@_exported import KernelModel
