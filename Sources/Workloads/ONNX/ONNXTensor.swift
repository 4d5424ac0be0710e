import Foundation
import Kernels
import ONNXProto
import TunebenchCore

/// A tensor's values as tunebench uses them: floating-point types as Float, integer and boolean
/// types as Int64. Decoded from raw_data (little-endian), the typed fields, or external data.
public struct ONNXTensor: Sendable {
    public var name: String
    public var dims: [Int]
    public var floats: [Float]?
    public var ints: [Int64]?

    public var count: Int { dims.saturatingProduct }

    public init(name: String, dims: [Int], floats: [Float]? = nil, ints: [Int64]? = nil) {
        self.name = name
        self.dims = dims
        self.floats = floats
        self.ints = ints
    }

    init(_ proto: Onnx_TensorProto, file: ONNXFile) throws {
        try self.init(proto, modelPath: file.path)
    }

    /// - Parameter modelPath: the model file: errors name it, external data lies beside it.
    init(_ proto: Onnx_TensorProto, modelPath: String) throws {
        let name = proto.name
        func fail(_ message: String) -> FileError { FileError(path: modelPath, message: "tensor \"\(name)\": \(message)") }
        guard proto.dims.allSatisfy({ $0 >= 0 }) else { throw fail("negative dimension in \(proto.dims)") }
        self.name = name
        dims = proto.dims.map { Int(clamping: $0) }
        let count = dims.saturatingProduct
        // Refused before any byte is read or allocated.
        guard count <= ONNXShapeInference.largestValue else { throw fail("dims \(dims) hold more values than fit in this machine's memory") }
        let raw = try Self.rawBytes(proto, modelPath: modelPath, fail: fail)
        typealias DataType = Onnx_TensorProto.DataType
        switch DataType(rawValue: Int(proto.dataType)) {
        case .float?:
            floats = raw.map { Self.decode($0, as: Float.self) } ?? proto.floatData
        case .double?:
            floats = (raw.map { Self.decode($0, as: Double.self) } ?? proto.doubleData).map { Float($0) }
        case .float16?:
            let bits = raw.map { Self.decode($0, as: UInt16.self) } ?? proto.int32Data.map { UInt16(truncatingIfNeeded: $0) }
            floats = bits.map { Float(Float16(bitPattern: $0)) }
        case .bfloat16?:
            let bits = raw.map { Self.decode($0, as: UInt16.self) } ?? proto.int32Data.map { UInt16(truncatingIfNeeded: $0) }
            floats = bits.map(BFloat16.decode)
        case .int64?:
            ints = raw.map { Self.decode($0, as: Int64.self) } ?? proto.int64Data
        case .int32?:
            ints = (raw.map { Self.decode($0, as: Int32.self) } ?? proto.int32Data).map { Int64($0) }
        case .int8?:
            ints = raw.map { Self.decode($0, as: Int8.self).map { Int64($0) } } ?? proto.int32Data.map { Int64($0) }
        case .uint8?, .bool?:
            ints = raw.map { Self.decode($0, as: UInt8.self).map { Int64($0) } } ?? proto.int32Data.map { Int64($0) }
        case .int16?:
            ints = raw.map { Self.decode($0, as: Int16.self).map { Int64($0) } } ?? proto.int32Data.map { Int64($0) }
        case .uint16?:
            ints = raw.map { Self.decode($0, as: UInt16.self).map { Int64($0) } } ?? proto.int32Data.map { Int64($0) }
        case .uint32?:
            ints = raw.map { Self.decode($0, as: UInt32.self).map { Int64($0) } } ?? proto.uint64Data.map { Int64(truncatingIfNeeded: $0) }
        default:
            throw fail("data type \(proto.dataType) is not supported (float, float16, bfloat16, double and integer types are)")
        }
        let decoded = floats?.count ?? ints?.count ?? 0
        guard decoded == count else { throw fail("holds \(decoded) values but its dims \(dims) need \(count)") }
    }

    /// The raw little-endian bytes: raw_data, or the slice of the external file; nil when the
    /// values are in the typed fields.
    private static func rawBytes(_ proto: Onnx_TensorProto, modelPath: String, fail: (String) -> FileError) throws -> Data? {
        guard proto.dataLocation == .external else { return proto.hasRawData ? proto.rawData : nil }
        let entries = Dictionary(proto.externalData.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a })
        guard let location = entries["location"], !location.isEmpty else { throw fail("external data without a location") }
        let url = URL(fileURLWithPath: modelPath).deletingLastPathComponent().appendingPathComponent(location)
        guard let handle = try? FileHandle(forReadingFrom: url) else { throw fail("external data file \(url.path) cannot be read") }
        defer { try? handle.close() }
        let offset = UInt64(entries["offset"] ?? "0") ?? 0
        let elementBytes = Self.elementBytes(proto.dataType)
        let length = entries["length"].flatMap { Int($0) } ?? proto.dims.map { Int(clamping: $0) }.saturatingProduct * elementBytes
        guard length >= 0, length <= 8 * ONNXShapeInference.largestValue else { throw fail("external data of \(length) bytes is larger than this machine's memory") }
        do {
            try handle.seek(toOffset: offset)
            let bytes = try handle.read(upToCount: length) ?? Data()
            guard bytes.count == length else { throw fail("external data file \(url.path) ends before offset \(offset) + \(length) bytes") }
            return bytes
        } catch let error as FileError { throw error } catch {
            throw fail("external data file \(url.path): \(error.localizedDescription)")
        }
    }

    private static func elementBytes(_ dataType: Int32) -> Int {
        switch Onnx_TensorProto.DataType(rawValue: Int(dataType)) {
        case .double?, .int64?, .uint64?: 8
        case .float?, .int32?, .uint32?: 4
        case .float16?, .bfloat16?, .int16?, .uint16?: 2
        default: 1
        }
    }

    private static func decode<T: FixedWidthInteger>(_ data: Data, as type: T.Type) -> [T] {
        let count = data.count / MemoryLayout<T>.size
        return data.withUnsafeBytes { bytes in
            (0..<count).map { T(littleEndian: bytes.loadUnaligned(fromByteOffset: $0 * MemoryLayout<T>.size, as: T.self)) }
        }
    }

    private static func decode(_ data: Data, as type: Float.Type) -> [Float] {
        decode(data, as: UInt32.self).map { Float(bitPattern: $0) }
    }

    private static func decode(_ data: Data, as type: Double.Type) -> [Double] {
        decode(data, as: UInt64.self).map { Double(bitPattern: $0) }
    }
}
