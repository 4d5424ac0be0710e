import Foundation

/// A kernel configuration: the kernel variant and its named parameters (mr, nr, mc, kc, nc,
/// threads, loop, pack_a, precision, group …). Parameters are integers or short names.
public struct KernelConfig: Codable, Hashable, Sendable, CustomStringConvertible {
    public var kernel: String
    public var values: [String: ParameterValue]

    public init(kernel: String, values: [String: ParameterValue] = [:]) {
        self.kernel = kernel
        self.values = values
    }

    public subscript(name: String) -> ParameterValue? {
        get { values[name] }
        set { values[name] = newValue }
    }

    public func int(_ name: String) -> Int? { values[name]?.intValue }
    public func text(_ name: String) -> String? { values[name]?.textValue }

    /// "kernel k1=v1,k2=v2" with names sorted: stable, and the format `--config` reads.
    public var description: String { "\(kernel) \(parameterText)" }

    /// The parameters alone, "k1=v1,k2=v2" with names sorted: what `--fix` and `--config`
    /// overrides look like.
    public var parameterText: String {
        values.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
    }

    /// Applies "k=v,k=v" overrides (as typed after `--config`); values that look like
    /// integers become integers.
    public func applying(overrides text: String) throws -> KernelConfig {
        var copy = self
        for item in text.split(separator: ",") where !item.isEmpty {
            let parts = item.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                throw KernelError.invalidConfig("\"\(item)\" is not name=value")
            }
            copy.values[parts[0]] = ParameterValue(parsing: parts[1])
        }
        return copy
    }
}

public enum ParameterValue: Codable, Hashable, Sendable, CustomStringConvertible, Comparable {
    case int(Int)
    case text(String)

    public init(parsing text: String) {
        self = Int(text).map(ParameterValue.int) ?? .text(text)
    }

    public var intValue: Int? { if case .int(let value) = self { value } else { nil } }
    public var textValue: String? { if case .text(let value) = self { value } else { nil } }

    public var description: String {
        switch self {
        case .int(let value): "\(value)"
        case .text(let value): value
        }
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let value = try? container.decode(Int.self) { self = .int(value) } else { self = .text(try container.decode(String.self)) }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .int(let value): try container.encode(value)
        case .text(let value): try container.encode(value)
        }
    }

    public static func < (lhs: ParameterValue, rhs: ParameterValue) -> Bool {
        switch (lhs, rhs) {
        case let (.int(a), .int(b)): a < b
        case let (.text(a), .text(b)): a < b
        case (.int, .text): true
        case (.text, .int): false
        }
    }
}

extension ParameterValue: ExpressibleByIntegerLiteral, ExpressibleByStringLiteral {
    public init(integerLiteral value: Int) { self = .int(value) }
    public init(stringLiteral value: String) { self = .text(value) }
}

extension KernelConfig {
    /// Reads the canonical text `description` writes: "gemm kc=256,mr=4,…".
    public init(parsing text: String) throws {
        let parts = text.split(separator: " ", maxSplits: 1).map(String.init)
        guard let kernel = parts.first, !kernel.isEmpty else { throw KernelError.invalidConfig("empty configuration text") }
        self = try KernelConfig(kernel: kernel).applying(overrides: parts.count > 1 ? parts[1] : "")
    }
}
