import Foundation
import TunebenchCore
import Workloads

/// Writes a NumPy .npz archive: a zip file of one .npy per array, stored uncompressed (what
/// numpy.savez writes; numpy.load and any zip tool read it). For `run --output out.npz`.
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
