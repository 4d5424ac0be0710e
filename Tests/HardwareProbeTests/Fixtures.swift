import Foundation

/// Paths to the hwloc XML exports under Tests/Fixtures/hwloc (real machines from hwloc's test suite, with
/// their README and licence note).
enum Fixtures {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/hwloc")

    static func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    static func temporaryFile(_ name: String, contents: String) throws -> String {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("tunebench-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let url = directory.appendingPathComponent(name)
        try contents.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }
}
