import Foundation
import TunebenchCore
import Workloads

/// Reads a NumPy .npy file (format 1.0–3.0) holding float32 little-endian values in C order:
/// how `tunebench run --input` takes a model's input (numpy.save(path, array.astype("float32")));
/// writes one (format 1.0) for `run --output`.
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
        func fail(_ message: String) -> FileError { FileError(path: path, message: message) }
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch { throw fail("cannot be read (\(error.localizedDescription))") }
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
        guard bytes.count >= headerStart + headerLength else { throw fail("is truncated in its header") }
        let header = String(decoding: bytes[headerStart..<headerStart + headerLength], as: UTF8.self)
        guard header.contains("'descr': '<f4'") else { throw fail("holds \(field("descr", in: header) ?? "?") values; float32 ('<f4') is needed") }
        guard header.contains("'fortran_order': False") else { throw fail("is in Fortran order; save it in C order") }
        guard let shapeText = field("shape", in: header) else { throw fail("has no shape in its header") }
        let shape = shapeText.trimmingCharacters(in: CharacterSet(charactersIn: "()")).split(separator: ",")
            .compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        let count = shape.reduce(1, *)
        let start = headerStart + headerLength
        guard bytes.count - start == count * 4 else { throw fail("holds \(bytes.count - start) bytes of data; shape \(shape) needs \(count * 4)") }
        let values = data.withUnsafeBytes { raw in
            (0..<count).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: start + $0 * 4, as: UInt32.self))) }
        }
        return Tensor(shape: shape, data: values)
    }

    /// The text of `'name': value` in the header dictionary (a tuple or a quoted string).
    private static func field(_ name: String, in header: String) -> String? {
        guard let range = header.range(of: "'\(name)': ") else { return nil }
        let rest = header[range.upperBound...]
        if rest.first == "(" { return rest.firstIndex(of: ")").map { String(rest[...$0]) } }
        return rest.split(separator: ",").first.map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "' ")) }
    }
}
