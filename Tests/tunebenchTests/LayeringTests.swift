import Foundation
import Testing

/// The target graph of Package.swift against the layers docs/DESIGN.md writes down: every
/// dependency points to a lower layer, and the closures that matter stay small.
@Suite("target layering")
struct LayeringTests {
    struct Target {
        let name: String
        let isTest: Bool
        /// Targets of this package it depends on (products of other packages left out).
        let dependencies: [String]
        let products: [String]
        let hasUnsafeFlags: Bool
    }

    /// Package.swift as SwiftPM reads it (`swift package dump-package`), evaluated in a scratch
    /// folder so that it does not wait for the lock of the build that runs these tests.
    static func packageTargets() throws -> [String: Target] {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("tb-layering-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        try FileManager.default.copyItem(at: CLITests.root.appendingPathComponent("Package.swift"), to: scratch.appendingPathComponent("Package.swift"))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["swift", "package", "dump-package"]
        process.currentDirectoryURL = scratch
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "swift package dump-package failed")
        let package = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let targets = try #require(package["targets"] as? [[String: Any]])
        var result: [String: Target] = [:]
        for target in targets {
            let name = try #require(target["name"] as? String)
            var dependencies: [String] = [], products: [String] = []
            for dependency in target["dependencies"] as? [[String: Any]] ?? [] {
                if let byName = (dependency["byName"] ?? dependency["target"]) as? [Any], let first = byName.first as? String {
                    dependencies.append(first)
                } else if let product = dependency["product"] as? [Any], let first = product.first as? String {
                    products.append(first)
                }
            }
            let settings = target["settings"] as? [[String: Any]] ?? []
            let unsafe = settings.contains { ($0["kind"] as? [String: Any])?["unsafeFlags"] != nil }
            result[name] = Target(name: name, isTest: target["type"] as? String == "test", dependencies: dependencies,
                                  products: products, hasUnsafeFlags: unsafe)
        }
        return result
    }

    /// The table "Targets and layers" of docs/DESIGN.md: rows `| N | `Target` | … |`.
    static func documentedLayers() throws -> [String: Int] {
        let design = try String(contentsOf: CLITests.root.appendingPathComponent("docs/DESIGN.md"), encoding: .utf8)
        var layers: [String: Int] = [:]
        for line in design.split(separator: "\n") {
            let cells = line.split(separator: "|", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count >= 4, let layer = Int(cells[1]), cells[2].hasPrefix("`"), cells[2].hasSuffix("`") else { continue }
            layers[String(cells[2].dropFirst().dropLast())] = layer
        }
        return layers
    }

    static func closure(of name: String, in targets: [String: Target]) -> Set<String> {
        var seen: Set<String> = []
        var stack = [name]
        while let next = stack.popLast() {
            for dependency in targets[next]?.dependencies ?? [] where seen.insert(dependency).inserted { stack.append(dependency) }
        }
        return seen
    }

    @Test("every target is in DESIGN.md's table and every dependency points to a lower layer")
    func dependenciesPointDown() throws {
        let targets = try Self.packageTargets()
        let layers = try Self.documentedLayers()
        let built = Set(targets.values.filter { !$0.isTest }.map(\.name))
        #expect(built.count > 20)
        #expect(built.subtracting(layers.keys).isEmpty, "targets missing from docs/DESIGN.md: \(built.subtracting(layers.keys).sorted())")
        #expect(Set(layers.keys).subtracting(built).isEmpty, "DESIGN.md lists targets Package.swift lacks: \(Set(layers.keys).subtracting(built).sorted())")
        for target in targets.values where !target.isTest {
            guard let layer = layers[target.name] else { continue }
            for dependency in target.dependencies {
                let below = layers[dependency].map { $0 < layer } ?? false
                #expect(below, "\(target.name) (layer \(layer)) depends on \(dependency) (layer \(layers[dependency].map(String.init) ?? "?"))")
            }
        }
    }

    @Test("the deployment library links no PAPI, libxml2, kernels, search or measurement, and carries no unsafe flags")
    func runtimeClosure() throws {
        let targets = try Self.packageTargets()
        let closure = Self.closure(of: "TunebenchRuntime", in: targets)
        #expect(closure.contains("MachineIdentity") && closure.contains("TuningDatabase"))
        for forbidden in ["CPAPI", "CLibXML2", "CXMLCheck", "Counters", "HardwareProbe", "Kernels", "Search", "Measurement", "Tuning"] {
            #expect(!closure.contains(forbidden), "TunebenchRuntime depends on \(forbidden)")
        }
        let unsafe = closure.union(["TunebenchRuntime"]).filter { targets[$0]?.hasUnsafeFlags == true }
        #expect(unsafe.isEmpty, "unsafe flags in the runtime's closure: \(unsafe.sorted())")
    }

    @Test("the portable kernels carry no unsafe flags anywhere below them, and no fp32 kernels, PAPI or libxml2")
    func portableKernelsClosure() throws {
        let targets = try Self.packageTargets()
        let closure = Self.closure(of: "PortableKernels", in: targets)
        #expect(closure.contains("CIntegerKernels"))
        for forbidden in ["Kernels", "CBuildTarget", "CPAPI", "CLibXML2", "Counters", "HardwareProbe"] {
            #expect(!closure.contains(forbidden), "PortableKernels depends on \(forbidden)")
        }
        let unsafe = closure.union(["PortableKernels"]).filter { targets[$0]?.hasUnsafeFlags == true }
        #expect(unsafe.isEmpty, "unsafe flags in PortableKernels' closure: \(unsafe.sorted())")
    }

    @Test("the kernels and the model import carry no unsafe flags anywhere below them, and no PAPI, libxml2 or build-target macros")
    func kernelsClosure() throws {
        let targets = try Self.packageTargets()
        for library in ["Kernels", "Workloads"] {
            let closure = Self.closure(of: library, in: targets)
            #expect(closure.contains("CFloatKernels") && closure.contains("CIntegerKernels"))
            for forbidden in ["CBuildTarget", "CPAPI", "CLibXML2", "Counters", "HardwareProbe", "Measurement"] {
                #expect(!closure.contains(forbidden), "\(library) depends on \(forbidden)")
            }
            let unsafe = closure.union([library]).filter { targets[$0]?.hasUnsafeFlags == true }
            #expect(unsafe.isEmpty, "unsafe flags in \(library)'s closure: \(unsafe.sorted())")
        }
    }

    @Test("the tuner and its worker link no OpenBLAS, runtime library or presentation")
    func tuningClosure() throws {
        let targets = try Self.packageTargets()
        let closure = Self.closure(of: "Tuning", in: targets)
        #expect(closure.contains("Measurement") && closure.contains("Search"))
        for forbidden in ["Peers", "COpenBLAS", "Benchmarks", "TunebenchRuntime", "Reports", "ModelRunner"] {
            #expect(!closure.contains(forbidden), "Tuning depends on \(forbidden)")
        }
    }
}
