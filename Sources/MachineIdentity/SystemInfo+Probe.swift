import Foundation

extension SystemInfo {
    /// The running OS: /etc/os-release and uname.
    static func live() -> SystemInfo {
        var name = utsname()
        uname(&name)
        func field<T>(_ value: inout T) -> String {
            withUnsafeBytes(of: &value) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        }
        let osRelease = (try? String(contentsOfFile: "/etc/os-release", encoding: .utf8)) ?? ""
        return SystemInfo(
            osName: osReleaseField(osRelease, "PRETTY_NAME"),
            kernelRelease: field(&name.release),
            architecture: field(&name.machine)
        )
    }

    /// What an hwloc XML export recorded about the OS of the machine it was taken on.
    package static func fromXML(_ topology: HwlocTopology) -> SystemInfo {
        SystemInfo(
            osName: topology.rootInfo("OSName"),
            kernelRelease: topology.rootInfo("OSRelease"),
            architecture: topology.rootInfo("Architecture") ?? "unknown"
        )
    }

    static func osReleaseField(_ text: String, _ key: String) -> String? {
        for line in text.split(separator: "\n") where line.hasPrefix("\(key)=") {
            return line.dropFirst(key.count + 1).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        }
        return nil
    }
}
