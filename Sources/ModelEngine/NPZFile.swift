import Foundation
import TunebenchCore
import Workloads

/// Writes a NumPy .npz archive: a zip file of one .npy per array, stored uncompressed (what
/// numpy.savez writes; numpy.load and any zip tool read it), for `run --output out.npz`; reads
/// one for `run --input` and `autotune --calibration`.
public enum NPZFile {
    /// - Throws: when an array or the archive would pass 4 GiB (that needs zip64, not written).
    public static func encode(_ arrays: [(name: String, tensor: Tensor)]) throws -> Data {
        var archive = Data()
        var directory = Data()
        for (name, tensor) in arrays {
            let content = NPYFile.encode(tensor)
            guard archive.count + content.count < Int(UInt32.max) else {
                throw OptionError("--output: the outputs pass 4 GiB, which needs zip64; write one output as .npy")
            }
            let fileName = Array("\(name).npy".utf8)
            let crc = CRC32.checksum(content)
            let offset = UInt32(archive.count)
            // Local file header: version 2.0, no flags, stored, no time, CRC and sizes.
            archive.append(le32(0x0403_4b50))
            archive.append(le16(20)); archive.append(le16(0)); archive.append(le16(0)); archive.append(le16(0)); archive.append(le16(0x21))
            archive.append(le32(crc)); archive.append(le32(UInt32(content.count))); archive.append(le32(UInt32(content.count)))
            archive.append(le16(UInt16(fileName.count))); archive.append(le16(0))
            archive.append(contentsOf: fileName)
            archive.append(content)
            // Its central directory entry.
            directory.append(le32(0x0201_4b50))
            directory.append(le16(20)); directory.append(le16(20)); directory.append(le16(0)); directory.append(le16(0))
            directory.append(le16(0)); directory.append(le16(0x21))
            directory.append(le32(crc)); directory.append(le32(UInt32(content.count))); directory.append(le32(UInt32(content.count)))
            directory.append(le16(UInt16(fileName.count))); directory.append(le16(0)); directory.append(le16(0))
            directory.append(le16(0)); directory.append(le16(0)); directory.append(le32(0)); directory.append(le32(offset))
            directory.append(contentsOf: fileName)
        }
        let directoryOffset = UInt32(archive.count)
        archive.append(directory)
        archive.append(le32(0x0605_4b50))
        archive.append(le16(0)); archive.append(le16(0))
        archive.append(le16(UInt16(arrays.count))); archive.append(le16(UInt16(arrays.count)))
        archive.append(le32(UInt32(directory.count))); archive.append(le32(directoryOffset)); archive.append(le16(0))
        return archive
    }

    /// The arrays of a .npz archive (numpy.savez: stored, zip64 extras read), by name without
    /// ".npy", in archive order.
    public static func load(path: String) throws -> [(name: String, tensor: Tensor)] {
        func fail(_ message: String) -> FileError { FileError(path: path, message: message) }
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch { throw fail("cannot be read (\(error.localizedDescription))") }
        let bytes = [UInt8](data)
        func u16(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 }
        func u32(_ at: Int) -> Int { u16(at) | u16(at + 2) << 16 }
        func u64(_ at: Int) -> Int { u32(at) | u32(at + 4) << 32 }
        // The end of central directory record: the last one within 64 KiB of comment.
        guard bytes.count >= 22, let end = stride(from: bytes.count - 22, through: max(0, bytes.count - 22 - 65_535), by: -1)
            .first(where: { u32($0) == 0x0605_4b50 }) else { throw fail("is not a .npz (zip) archive: no end of central directory") }
        let entries = u16(end + 10)
        var position = u32(end + 16)
        var arrays: [(name: String, tensor: Tensor)] = []
        for _ in 0..<entries {
            guard position + 46 <= bytes.count, u32(position) == 0x0201_4b50 else { throw fail("has a damaged central directory") }
            let method = u16(position + 10)
            var size = u32(position + 20)
            let (nameLength, extraLength, commentLength) = (u16(position + 28), u16(position + 30), u16(position + 32))
            var offset = u32(position + 42)
            guard position + 46 + nameLength + extraLength <= bytes.count else { throw fail("has a damaged central directory") }
            let name = String(decoding: bytes[position + 46..<position + 46 + nameLength], as: UTF8.self)
            // Zip64: the 0xFFFFFFFF fields are in the 0x0001 extra, in order (size, compressed size, offset).
            var extra = position + 46 + nameLength
            while extra + 4 <= position + 46 + nameLength + extraLength {
                let (tag, length) = (u16(extra), u16(extra + 2))
                if tag == 0x0001 {
                    var field = extra + 4
                    if u32(position + 24) == 0xFFFF_FFFF { field += 8 }
                    if size == 0xFFFF_FFFF { size = u64(field); field += 8 }
                    if offset == 0xFFFF_FFFF { offset = u64(field) }
                }
                extra += 4 + length
            }
            position += 46 + nameLength + extraLength + commentLength
            guard method == 0 else {
                throw fail("member \(name) is compressed (numpy.savez_compressed); save with numpy.savez, which stores the arrays as they are")
            }
            guard offset + 30 <= bytes.count, u32(offset) == 0x0403_4b50 else { throw fail("member \(name) has a damaged local header") }
            let start = offset + 30 + u16(offset + 26) + u16(offset + 28)
            guard size >= 0, start + size <= bytes.count else { throw fail("member \(name) is truncated") }
            let arrayName = name.hasSuffix(".npy") ? String(name.dropLast(4)) : name
            arrays.append((arrayName, try NPYFile.decode(data.subdata(in: start..<start + size), path: "\(path) (\(name))")))
        }
        return arrays
    }

    private static func le16(_ value: UInt16) -> Data { withUnsafeBytes(of: value.littleEndian) { Data($0) } }
    private static func le32(_ value: UInt32) -> Data { withUnsafeBytes(of: value.littleEndian) { Data($0) } }
}

/// The zip format's CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320).
enum CRC32 {
    static let table: [UInt32] = (0..<256).map { index in
        (0..<8).reduce(UInt32(index)) { crc, _ in crc & 1 == 1 ? 0xEDB8_8320 ^ (crc >> 1) : crc >> 1 }
    }

    static func checksum(_ data: Data) -> UInt32 {
        ~data.reduce(~UInt32(0)) { crc, byte in table[Int((crc ^ UInt32(byte)) & 0xff)] ^ (crc >> 8) }
    }
}
