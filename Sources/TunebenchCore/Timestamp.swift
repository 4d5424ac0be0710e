import Foundation

/// UTC timestamps as ISO 8601 text with milliseconds: sortable, and exact through JSON. Every
/// record and profile tunebench writes uses this one format.
public enum Timestamp {
    public static func now() -> String {
        Date().formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }
}
