/// The version of the kernels' code. Tuning records carry it: a configuration tuned for other
/// kernel code is not trusted for this one. Bump it whenever a kernel's speed can change.
public enum KernelLibrary {
    public static let version = "0.6.0"
}
