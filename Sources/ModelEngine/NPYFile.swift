import Foundation
import TunebenchCore
import Workloads

/// Reads a NumPy .npy file (format 1.0–3.0) of little-endian floats or integers in C order:
/// how `tunebench run --input` takes a model's input (numpy.save); writes one (format 1.0,
/// float32) for `run --output`.
public enum NPYFile {
    /// The .npy bytes of `tensor`: float32 little-endian, C order, the header padded so the data
    /// starts on a 64-byte boundary as NumPy writes it.
    public static func encode(_ tensor: Tensor) -> Data {
        let shape = tensor.shape.count == 1 ? "(\(tensor.shape[0]),)" : "(" + tensor.shape.map(String.init).joined(separator: ", ") + ")"
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': \(shape), }"
        let unpadded = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var data = Data([0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.utf8.count & 0xff), UInt8(header.utf8.count >> 8)])
        data.append(contentsOf: Array(header.utf8))
        data.append(tensor.littleEndianBytes)
        return data
    }

    public static func load(path: String) throws -> Tensor {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch { throw FileError(path: path, message: "cannot be read (\(error.localizedDescription))") }
        return try decode(data, path: path)
    }

    /// The element types read: little-endian floats (float32, float64, float16) and integers
    /// (int64, int32, int8, uint8, bool); integers become integer tensors (masks, token ids).
    static let elementTypes: [String: (bytes: Int, isFloat: Bool)] = [
        "<f4": (4, true), "<f8": (8, true), "<f2": (2, true), "<i8": (8, false), "<i4": (4, false), "|i1": (1, false), "|u1": (1, false),
        "|b1": (1, false),
    ]

    /// - Parameter path: names the file (or the archive member) in errors.
    static func decode(_ data: Data, path: String) throws -> Tensor {
        func fail(_ message: String) -> FileError { FileError(path: path, message: message) }
        let bytes = [UInt8](data)
        guard bytes.count >= 10, bytes[0] == 0x93, Array(bytes[1...5]) == Array("NUMPY".utf8) else { throw fail("is not a .npy file (no \\x93NUMPY magic)") }
        let major = bytes[6]
        let headerLength: Int, headerStart: Int
        if major == 1 {
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
            headerStart = 10
        } else {
            guard bytes.count >= 12 else { throw fail("is truncated") }
            headerLength = (0..<4).reduce(0) { $0 | Int(bytes[8 + $1]) << (8 * $1) }
            headerStart = 12
        }
        guard headerLength >= 0, bytes.count >= headerStart + headerLength else { throw fail("is truncated in its header") }
        let header = String(decoding: bytes[headerStart..<headerStart + headerLength], as: UTF8.self)
        let descr = field("descr", in: header) ?? "?"
        guard let type = elementTypes[descr] else {
            throw fail("holds \(descr) values; float32, float64, float16, int64, int32, int8, uint8 or bool ('<f4', '<f8', '<f2', '<i8', '<i4', '|i1', '|u1', '|b1') are read")
        }
        guard header.contains("'fortran_order': False") else { throw fail("is in Fortran order; save it in C order") }
        guard let shapeText = field("shape", in: header) else { throw fail("has no shape in its header") }
        let shape = shapeText.trimmingCharacters(in: CharacterSet(charactersIn: "()")).split(separator: ",")
            .compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard shape.allSatisfy({ $0 >= 0 }) else { throw fail("has a negative dimension in its shape \(shape)") }
        var count = 1
        for size in shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: size)
            guard !overflow else { throw fail("shape \(shape) has more elements than fit in memory") }
            count = product
        }
        let start = headerStart + headerLength
        guard bytes.count - start == count * type.bytes else {
            throw fail("holds \(bytes.count - start) bytes of data; shape \(shape) of \(descr) needs \(count * type.bytes)")
        }
        return data.withUnsafeBytes { raw in
            func load<T: FixedWidthInteger>(_: T.Type, _ index: Int) -> T { T(littleEndian: raw.loadUnaligned(fromByteOffset: start + index * MemoryLayout<T>.size, as: T.self)) }
            switch descr {
            case "<f4": return Tensor(shape: shape, data: (0..<count).map { Float(bitPattern: load(UInt32.self, $0)) })
            case "<f8": return Tensor(shape: shape, data: (0..<count).map { Float(Double(bitPattern: load(UInt64.self, $0))) })
            case "<f2": return Tensor(shape: shape, data: (0..<count).map { Float(Float16(bitPattern: load(UInt16.self, $0))) })
            case "<i8": return Tensor(shape: shape, ints: (0..<count).map { load(Int64.self, $0) })
            case "<i4": return Tensor(shape: shape, ints: (0..<count).map { Int64(load(Int32.self, $0)) })
            case "|i1": return Tensor(shape: shape, ints: (0..<count).map { Int64(load(Int8.self, $0)) })
            default: return Tensor(shape: shape, ints: (0..<count).map { Int64(load(UInt8.self, $0)) })
            }
        }
    }

    /// The text of `'name': value` in the header dictionary (a tuple or a quoted string).
    private static func field(_ name: String, in header: String) -> String? {
        guard let range = header.range(of: "'\(name)': ") else { return nil }
        let rest = header[range.upperBound...]
        if rest.first == "(" { return rest.firstIndex(of: ")").map { String(rest[...$0]) } }
        return rest.split(separator: ",").first.map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "' ")) }
    }
}
