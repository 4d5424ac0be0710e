import Foundation

/// UTC timestamps as ISO 8601 text with milliseconds: sortable, and exact through JSON.
enum Timestamp {
    static func now() -> String {
        Date().formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }
}
