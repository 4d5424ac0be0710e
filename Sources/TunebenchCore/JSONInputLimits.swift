import Foundation

/// Bounds on a JSON input checked before it is parsed: Foundation's parsers recurse per level
/// and build an object per value, so a hostile file nested 10^5 deep or hundreds of megabytes
/// long either fails with an unhelpful message or takes gigabytes. Real inputs (layer lists,
/// model configs, profiles) are kilobytes and nest a handful of levels.
public enum JSONInputLimits {
    public static let largestFile = 64 << 20
    public static let deepestNesting = 512

    /// Why `data` is refused before parsing, or nil.
    public static func problem(_ data: Data) -> String? {
        guard data.count <= largestFile else {
            return "is \(data.count >> 20) MiB; tunebench reads JSON inputs of at most \(largestFile >> 20) MiB"
        }
        let depth = nestingDepth(data)
        guard depth <= deepestNesting else {
            return "nests arrays and objects \(depth) deep; at most \(deepestNesting) levels are read"
        }
        return nil
    }

    /// The deepest nesting of arrays and objects, brackets inside strings skipped.
    public static func nestingDepth(_ data: Data) -> Int {
        var depth = 0, deepest = 0
        var inString = false, escaped = false
        for byte in data {
            if inString {
                if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") { inString = false }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "["), UInt8(ascii: "{"): depth += 1; deepest = max(deepest, depth)
            case UInt8(ascii: "]"), UInt8(ascii: "}"): depth = max(0, depth - 1)
            default: break
            }
        }
        return deepest
    }
}
