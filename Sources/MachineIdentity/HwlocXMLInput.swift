import Foundation

/// An hwloc XML export made safe to hand to libhwloc: size and nesting checked first (hwloc's
/// parser recurses per element, and a file nested 10^5 deep overflowed its stack), and an
/// hwloc 3.x export read as 2.x (the element and attribute vocabulary tunebench reads is the
/// same; only the version attribute is newer than the 2.x library refuses).
struct HwlocXMLInput {
    /// Real exports are kilobytes to a few megabytes (a 1000-node machine with PCI devices).
    static let largestFile = 64 << 20
    /// Real exports nest a few dozen levels (machine, package, caches, core, PU, PCI bridges).
    static let deepestNesting = 256

    /// NUL-terminated, as hwloc_topology_set_xmlbuffer wants it.
    let bytes: [UInt8]
    /// "3.0" when the file declared an hwloc 3 format that was rewritten to be read as 2.0.
    let declaredVersion: String?

    init(path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ProbeError(.topologyFileMissing, "cannot load hwloc XML at \(path): cannot read it")
        }
        guard data.count <= Self.largestFile else {
            throw ProbeError(.topologyFileInvalid, "cannot load hwloc XML at \(path): \(data.count >> 20) MiB is larger than any hwloc export (at most \(Self.largestFile >> 20) MiB)")
        }
        var bytes = [UInt8](data)
        guard String(validating: bytes, as: UTF8.self) != nil else {
            throw ProbeError(.topologyFileInvalid, "cannot load hwloc XML at \(path): not UTF-8 text (hwloc exports are)")
        }
        let depth = Self.nestingDepth(bytes)
        guard depth <= Self.deepestNesting else {
            throw ProbeError(.topologyFileInvalid, "cannot load hwloc XML at \(path): elements nested \(depth) deep (hwloc exports nest a few dozen; at most \(Self.deepestNesting) read)")
        }
        declaredVersion = Self.rewriteNewerVersion(&bytes)
        bytes.append(0)
        self.bytes = bytes
    }

    /// The deepest element nesting, counted without parsing: `<name` opens, `</` and `/>`
    /// close; comments, processing instructions, declarations and CDATA are skipped.
    static func nestingDepth(_ bytes: [UInt8]) -> Int {
        var depth = 0, deepest = 0, index = 0
        let count = bytes.count
        func starts(_ text: String, at position: Int) -> Bool {
            let pattern = Array(text.utf8)
            return position + pattern.count <= count && Array(bytes[position..<position + pattern.count]) == pattern
        }
        func skip(past terminator: String, from position: Int) -> Int {
            let pattern = Array(terminator.utf8)
            var cursor = position
            while cursor + pattern.count <= count {
                if bytes[cursor] == pattern[0], Array(bytes[cursor..<cursor + pattern.count]) == pattern { return cursor + pattern.count }
                cursor += 1
            }
            return count
        }
        while index < count {
            guard bytes[index] == UInt8(ascii: "<") else { index += 1; continue }
            if starts("<!--", at: index) { index = skip(past: "-->", from: index + 4); continue }
            if starts("<![CDATA[", at: index) { index = skip(past: "]]>", from: index + 9); continue }
            if starts("<?", at: index) || starts("<!", at: index) { index = skip(past: ">", from: index + 2); continue }
            let closing = starts("</", at: index)
            // To the end of the tag, outside quoted attribute values.
            var cursor = index + 1
            var quote: UInt8?
            while cursor < count {
                let byte = bytes[cursor]
                if let open = quote { if byte == open { quote = nil } } else if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'") {
                    quote = byte
                } else if byte == UInt8(ascii: ">") { break }
                cursor += 1
            }
            let selfClosing = cursor > index && cursor < count && bytes[cursor - 1] == UInt8(ascii: "/")
            if closing { depth = max(0, depth - 1) } else if !selfClosing { depth += 1; deepest = max(deepest, depth) }
            index = cursor + 1
        }
        return deepest
    }

    /// `<topology version="3.x">` becomes `version="2.0"` in place (same length); the declared
    /// version, or nil when the file is not newer than 2.x.
    static func rewriteNewerVersion(_ bytes: inout [UInt8]) -> String? {
        let head = String(decoding: bytes.prefix(4096), as: UTF8.self)
        guard let match = head.firstMatch(of: /<topology\s+version="([3-9])\.(\d)"/) else { return nil }
        let declared = "\(match.1).\(match.2)"
        let attribute = Array("version=\"\(declared)\"".utf8)
        let replacement = Array("version=\"2.0\"".utf8)
        let offset = head.utf8.distance(from: head.utf8.startIndex, to: match.range.upperBound.samePosition(in: head.utf8)!) - attribute.count
        guard offset >= 0, attribute.count == replacement.count else { return nil }
        bytes.replaceSubrange(offset..<offset + attribute.count, with: replacement)
        return declared
    }
}
