import CUDALibraries
import Foundation
import Kernels
import KernelModel

/// A user's CUDA kernel tuned as Kernel Tuner tunes one: its source file, the `extern "C"`
/// function, tunable parameters passed as `-D` defines, constraints and launch sizes as
/// expressions over the parameters and the problem's sizes, and its arguments.
public struct CUDAUserKernel: GPUKernelFamily {
    /// One argument of the kernel, in signature order.
    public struct Argument: Sendable, Equatable {
        public enum Kind: Sendable, Equatable {
            /// A device buffer of `count` elements; `output` ones are validated and poisoned.
            case buffer(count: String, output: Bool)
            /// A value computed from the problem (and parameters).
            case scalar(value: String)
        }

        public var name: String
        /// float, half, bf16, int, int8, uint8 (buffers); int, float, long (scalars).
        public var type: String
        public var kind: Kind

        /// "out:float[n]:out", "in:float[n*2]", "n:int=n".
        public init(parsing text: String) throws {
            let usage = "an argument is NAME:TYPE[COUNT] (a buffer, \":out\" after it for an output) or NAME:TYPE=VALUE (a scalar), not \"\(text)\""
            let parts = text.split(separator: ":", maxSplits: 2).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count >= 2, !parts[0].isEmpty else { throw GPUError(.unsupported, usage) }
            name = parts[0]
            let typeText = parts[1]
            if let open = typeText.firstIndex(of: "["), typeText.hasSuffix("]") {
                type = String(typeText[..<open])
                let count = String(typeText[typeText.index(after: open)..<typeText.index(before: typeText.endIndex)])
                guard parts.count == 2 || parts[2] == "out" else { throw GPUError(.unsupported, usage) }
                guard Self.bufferTypes[type] != nil else {
                    throw GPUError(.unsupported, "\"\(text)\": buffer type \"\(type)\" is not one of \(Self.bufferTypes.keys.sorted().joined(separator: ", "))")
                }
                _ = try ParameterExpression(count)
                kind = .buffer(count: count, output: parts.count == 3)
            } else if let equals = typeText.firstIndex(of: "="), parts.count == 2 {
                type = String(typeText[..<equals])
                let value = String(typeText[typeText.index(after: equals)...])
                guard ["int", "float", "long"].contains(type) else {
                    throw GPUError(.unsupported, "\"\(text)\": scalar type \"\(type)\" is not int, float or long")
                }
                _ = try ParameterExpression(value)
                kind = .scalar(value: value)
            } else {
                throw GPUError(.unsupported, usage)
            }
        }

        /// Bytes per element of each buffer type.
        public static let bufferTypes = ["float": 4, "int": 4, "half": 2, "bf16": 2, "int8": 1, "uint8": 1]
    }

    public let source: CUDASource
    public let entry: String
    public let kernel: String
    public let space: ParameterSpace
    public let problem: [String: Int]
    public let arguments: [Argument]
    public let block: [ParameterExpression]
    public let grid: [ParameterExpression]
    /// Floating-point operations per run, when given (else GFLOP/s is not reported, only time).
    public let flopsExpression: ParameterExpression?

    /// - Parameters:
    ///   - parameters: "NAME=v1,v2,…" (integers).
    ///   - problem: "n=1048576,m=512": sizes the expressions and scalar arguments read (not
    ///     defines: a kernel's own argument may carry the same name).
    ///   - block, grid: one to three comma-separated expressions (grid sizes are rounded up).
    public init(sourceFile: String, kernel: String, parameters: [String], constraints: [String], problem: String,
                arguments: [String], block: String?, grid: String, flops: String? = nil) throws {
        let text: String
        do { text = try String(contentsOfFile: sourceFile, encoding: .utf8) } catch {
            throw GPUError(.unsupported, "\(sourceFile): cannot read the CUDA source (\(error.localizedDescription))")
        }
        guard text.contains(kernel) else {
            throw GPUError(.unsupported, "\(sourceFile): no function \"\(kernel)\" in the source (it must be extern \"C\" __global__)")
        }
        source = CUDASource(name: (sourceFile as NSString).lastPathComponent, text: text)
        entry = kernel
        self.kernel = "cuda:\(kernel)"
        var sizes: [String: Int] = [:]
        for item in problem.split(separator: ",") where !item.isEmpty {
            let parts = item.split(separator: "=").map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, let value = Int(parts[1]), !parts[0].isEmpty else {
                throw GPUError(.unsupported, "--problem: \"\(item)\" is not NAME=INTEGER")
            }
            sizes[parts[0]] = value
        }
        self.problem = sizes
        var parsed: [ParameterSpace.Parameter] = []
        for item in parameters {
            let parts = item.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            let values = parts.count == 2 ? parts[1].split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) } : []
            guard parts.count == 2, !parts[0].isEmpty, !values.isEmpty, values.allSatisfy({ $0 != nil }) else {
                throw GPUError(.unsupported, "--param: \"\(item)\" is not NAME=v1,v2,… with integer values")
            }
            guard sizes[parts[0]] == nil else { throw GPUError(.unsupported, "--param \(parts[0]) is also a --problem size") }
            parsed.append(.init(parts[0], values.map { .int($0!) }))
        }
        guard !parsed.isEmpty else { throw GPUError(.unsupported, "a CUDA kernel to tune needs at least one --param") }
        let names = Set(parsed.map(\.name)).union(sizes.keys)
        func expression(_ text: String, _ role: String) throws -> ParameterExpression {
            let parsedExpression: ParameterExpression
            do { parsedExpression = try ParameterExpression(text) } catch let error as GPUError {
                throw GPUError(error.code, "\(role) \(error.message)")
            }
            if let unknown = parsedExpression.names.subtracting(names).sorted().first {
                throw GPUError(.unsupported, "\(role) \"\(text)\": unknown name \"\(unknown)\" (parameters and problem sizes: \(names.sorted().joined(separator: ", ")))")
            }
            return parsedExpression
        }
        let constraintExpressions = try constraints.map { try expression($0, "--constraint") }
        let blockText = block ?? ["block_size_x", "block_size_y", "block_size_z"].filter { names.contains($0) }.joined(separator: ",")
        guard !blockText.isEmpty else {
            throw GPUError(.unsupported, "give --block (threads per block as expressions, e.g. BLOCK_SIZE), or name a parameter block_size_x")
        }
        self.block = try blockText.split(separator: ",").map { try expression(String($0), "--block") }
        self.grid = try grid.split(separator: ",").map { try expression(String($0), "--grid") }
        guard (1...3).contains(self.block.count), (1...3).contains(self.grid.count) else {
            throw GPUError(.unsupported, "--block and --grid take one to three sizes")
        }
        self.arguments = try arguments.map(Argument.init(parsing:))
        for argument in self.arguments {
            switch argument.kind {
            case .buffer(let count, _): _ = try expression(count, "argument \(argument.name)")
            case .scalar(let value): _ = try expression(value, "argument \(argument.name)")
            }
        }
        guard self.arguments.contains(where: { if case .buffer(_, true) = $0.kind { true } else { false } }) else {
            throw GPUError(.unsupported, "no output to validate: mark one buffer argument with \":out\" (e.g. out:float[n]:out)")
        }
        flopsExpression = try flops.map { try expression($0, "--flops") }
        let problemSizes = sizes.mapValues(Double.init)
        space = ParameterSpace(
            kernel: "cuda:\(kernel)", parameters: parsed,
            constraints: constraintExpressions.map { constraint in
                .init(constraint.text) { config in
                    var bindings = problemSizes
                    for (name, value) in config.values { if let number = value.intValue { bindings[name] = Double(number) } }
                    return (try? constraint.isSatisfied(bindings)) ?? false
                }
            }
        )
    }

    /// The parameters and problem sizes of `config` as expression bindings.
    public func bindings(_ config: KernelConfig) -> [String: Double] {
        var bindings = problem.mapValues(Double.init)
        for (name, value) in config.values { if let number = value.intValue { bindings[name] = Double(number) } }
        return bindings
    }

    /// The first valid configuration, in the space's order (the user's first values first).
    public var defaultConfig: KernelConfig {
        space.validConfigurations(limit: 1).first ?? KernelConfig(kernel: kernel, values: Dictionary(uniqueKeysWithValues: space.parameters.map { ($0.name, $0.values[0]) }))
    }

    public var flops: Double { (try? flopsExpression?.evaluate(problem.mapValues(Double.init))) ?? 0 }
    public var minimumBytes: Double {
        arguments.reduce(0) { total, argument in
            guard case .buffer(let count, _) = argument.kind,
                  let elements = try? ParameterExpression(count).evaluate(problem.mapValues(Double.init)) else { return total }
            return total + elements * Double(Argument.bufferTypes[argument.type] ?? 4)
        }
    }

    /// The tunable parameters as defines.
    public func defines(_ config: KernelConfig) -> [String: Int] { integerDefines(config) }

    public func launch(_ config: KernelConfig) -> LaunchShape {
        let values = bindings(config)
        func sizes(_ expressions: [ParameterExpression]) -> [Int] {
            (expressions.map { max(1, Int(((try? $0.evaluate(values)) ?? 1).rounded(.up))) } + [1, 1]).prefix(3).map { $0 }
        }
        let threads = sizes(block), blocks = sizes(grid)
        return LaunchShape(grid: (blocks[0], blocks[1], blocks[2]), threads: threads[0] * threads[1] * threads[2], sharedBytes: 0,
                           block: (threads[0], threads[1], threads[2]))
    }
}
