import Foundation

/// Byte counts as people read them, in binary units as lstopo prints them ("512KB", "32GB").
public enum ByteCount {
    public static func format(_ bytes: UInt64) -> String {
        let units = ["B", "KB", "MB", "GB", "TB", "PB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1024, unit < units.count - 1, value.truncatingRemainder(dividingBy: 1024) == 0 || value >= 10 * 1024 {
            value /= 1024
            unit += 1
        }
        if value == value.rounded() { return "\(Int(value))\(units[unit])" }
        return String(format: "%.1f%@", value, units[unit])
    }

    /// Memory sizes, which are rarely whole binary units: "23.4GB".
    public static func formatMemory(_ bytes: UInt64) -> String {
        let gib = Double(bytes) / Double(1 << 30)
        return gib >= 1 ? String(format: "%.1fGB", gib) : format(bytes)
    }
}
