import CUDALibraries
import Crypto
import Foundation

/// A CUDA C source tunebench compiles at run time, with its tunable parameters passed as
/// `-D` defines. The sources include no CUDA header (the NVRTC wheels on PyPI ship none):
/// 16-bit types are integers and tensor-core steps are inline PTX.
public struct CUDASource: Sendable, Hashable {
    /// The file name NVRTC reports in its messages, e.g. "gemm_tc.cu".
    public var name: String
    public var text: String

    public init(name: String, text: String) {
        self.name = name
        self.text = text
    }

    public static let gemmF32 = CUDASource(name: "gemm_f32.cu", text: gemmF32Text)
    public static let gemmTensorCore = CUDASource(name: "gemm_tc.cu", text: gemmTensorCoreText)
    public static let gemmWGMMA = CUDASource(name: "gemm_wgmma.cu", text: gemmWGMMAText)
    public static let gemv = CUDASource(name: "gemv.cu", text: gemvText)
    public static let roofline = CUDASource(name: "roofline.cu", text: rooflineText)

    /// The source, defines and target as one hex key: a compile cache's file name.
    public func cacheKey(defines: [String: Int], target: CompileTarget, compiler: String) -> String {
        var hasher = SHA256()
        hasher.update(data: Data(text.utf8))
        hasher.update(data: Data(Self.options(defines).joined(separator: " ").utf8))
        hasher.update(data: Data("\(target) \(compiler)".utf8))
        return hasher.finalize().map { String(format: "%02x", $0) }.joined().prefix(32).description
    }

    /// "-DNAME=value" for each define, sorted by name (stable keys and messages).
    public static func options(_ defines: [String: Int]) -> [String] {
        defines.sorted { $0.key < $1.key }.map { "-D\($0.key)=\($0.value)" }
    }
}
