// swift-tools-version:6.0
import PackageDescription
import Foundation

// The CPU the hot code is compiled for. Default: this build machine's CPU. A fleet build picks a
// portable level instead, e.g. `TUNEBENCH_MARCH=x86-64-v3 swift build -c release`.
// Measured here: without a target CPU no FMA/AVX2 instruction is emitted and `addingProduct`
// becomes a call to fmaf, about 100x slower (DESIGN.md).
let targetCPU = ProcessInfo.processInfo.environment["TUNEBENCH_MARCH"] ?? "native"

// Flags for the targets that hold hot loops (roofline micro-benchmarks, later the kernels).
// Never applied to the runtime library that deployments link: it must carry no unsafe flags.
let hotLoopSwiftSettings: [SwiftSetting] = [
    .unsafeFlags(["-Ounchecked", "-Xcc", "-march=\(targetCPU)"]),
]

let package = Package(
    name: "tunebench",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "tunebench", targets: ["tunebench"]),
        .library(name: "HardwareProbe", targets: ["HardwareProbe"]),
        .library(name: "TunebenchRuntime", targets: ["TunebenchRuntime"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-crypto", "3.0.0"..<"5.0.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.0.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.0"),
    ],
    targets: [
        .systemLibrary(name: "CHwloc", pkgConfig: "hwloc", providers: [.apt(["libhwloc-dev"])]),
        .systemLibrary(name: "CPAPI", pkgConfig: "papi", providers: [.apt(["libpapi-dev"])]),
        // libxml2, to locate the syntax error in an XML topology hwloc refused.
        .systemLibrary(name: "CLibXML2", pkgConfig: "libxml-2.0", providers: [.apt(["libxml2-dev"])]),
        .target(name: "CXMLCheck", dependencies: ["CLibXML2"]),
        // OpenBLAS, the peer in GEMM benchmarks (never used by tunebench's own kernels).
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .target(name: "Peers", dependencies: ["COpenBLAS", "Kernels"]),
        // Type declarations for NVML, which is loaded with dlopen and never linked.
        .systemLibrary(name: "CNVML"),
        // cpuid and XCR0 (no build flags: the probe and the runtime library build anywhere).
        .target(name: "CCPUInfo"),
        // The ISA this build's kernels were compiled for: C sees the -march macros.
        .target(
            name: "CBuildTarget",
            cSettings: [
                .define("TUNEBENCH_MARCH", to: "\"\(targetCPU)\""),
                .unsafeFlags(["-march=\(targetCPU)"]),
            ]
        ),
        .target(name: "Counters", dependencies: ["CPAPI"]),
        .target(
            name: "HardwareProbe",
            dependencies: [
                "CHwloc", "CXMLCheck", "CNVML", "CCPUInfo", "Counters", "KernelModel",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // Kernel configurations, precisions, the kernel-library version and the analytical
        // defaults: no build flags, shared by the kernels and the runtime library.
        .target(name: "KernelModel"),
        // The tunable kernels: hot loops, so -Ounchecked and the target CPU.
        // Prefetch and vector conversions for the kernels (header only).
        .systemLibrary(name: "CKernelSupport"),
        .target(name: "Kernels", dependencies: ["CKernelSupport", "CBuildTarget", "KernelModel"], swiftSettings: hotLoopSwiftSettings),
        .target(
            name: "Measurement",
            dependencies: ["HardwareProbe", "Kernels", "Counters"],
            swiftSettings: hotLoopSwiftSettings
        ),
        // Search spaces and strategies; never touches the database (DESIGN.md).
        .target(name: "Search", dependencies: ["Kernels"]),
        .target(name: "Reports", dependencies: ["HardwareProbe", "TunebenchRuntime", "KernelModel"]),
        // Trials, best configurations and provenance in SQLite (GRDB); knows nothing of kernels.
        .target(name: "TuningDatabase", dependencies: [.product(name: "GRDB", package: "GRDB.swift")]),
        // `tunebench bench`: one kernel configuration measured, placed on the roofline, and
        // compared with its peer.
        .target(name: "Benchmarks", dependencies: ["HardwareProbe", "Kernels", "Measurement", "Peers", "Counters"]),
        // The ONNX messages tunebench reads, generated once from onnx-subset.proto
        // (scripts/generate-onnx-proto) and committed: no protoc in the build.
        .target(
            name: "ONNXProto",
            dependencies: [.product(name: "SwiftProtobuf", package: "swift-protobuf")],
            exclude: ["onnx-subset.proto"]
        ),
        // What deployments link: configurations for layers from a tuning database or an
        // exported artifact, with DESIGN.md's fallback chain. No unsafe build flags anywhere in
        // its dependencies, so it works as a SwiftPM dependency of other packages.
        .target(name: "TunebenchRuntime", dependencies: ["HardwareProbe", "KernelModel", "TuningDatabase"]),
        // The tuning database in PostgreSQL (fleets): same tables and records, postgres-nio.
        .target(name: "TuningDatabasePostgres", dependencies: ["TuningDatabase", .product(name: "PostgresNIO", package: "postgres-nio")]),
        // `tunebench export`: the artifact as JSON, YAML or a C header.
        .target(name: "DeploymentExport", dependencies: ["TunebenchRuntime", "KernelModel", .product(name: "Yams", package: "Yams")]),
        // Models as layers to tune: ONNX, Hugging Face config.json, layer lists.
        .target(name: "Workloads", dependencies: ["Kernels", "ONNXProto"]),
        // `tunebench run`: an ONNX model through the tuned kernels, checked against a reference.
        .target(name: "ModelRunner", dependencies: ["Kernels", "Workloads", "ONNXProto", "TunebenchRuntime", "HardwareProbe", "Reports"]),
        // `tunebench tune`: search + measurement (in a worker process) + the database.
        .target(
            name: "Tuning",
            dependencies: [
                "HardwareProbe", "Kernels", "Measurement", "Search", "Benchmarks", "TuningDatabase", "Reports", "Workloads", "TunebenchRuntime",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .executableTarget(
            name: "tunebench",
            dependencies: [
                "HardwareProbe", "Measurement", "Reports", "Counters", "Kernels", "Peers", "Benchmarks",
                "Search", "Tuning", "TuningDatabase", "TuningDatabasePostgres", "Workloads", "TunebenchRuntime", "DeploymentExport", "ModelRunner",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Benchmark: a runtime lookup after loading (scripts/bench-runtime).
        .executableTarget(name: "runtime-lookup-bench", dependencies: ["TunebenchRuntime", "HardwareProbe", "KernelModel"]),
        .testTarget(name: "HardwareProbeTests", dependencies: ["HardwareProbe", "Kernels"]),
        .testTarget(name: "CountersTests", dependencies: ["Counters"]),
        .testTarget(name: "KernelsTests", dependencies: ["Kernels"]),
        .testTarget(name: "SearchTests", dependencies: ["Search", "Kernels"]),
        .testTarget(name: "MeasurementTests", dependencies: ["Measurement", "HardwareProbe"]),
        .testTarget(name: "ReportsTests", dependencies: ["Reports", "HardwareProbe", "TunebenchRuntime", "KernelModel"]),
        .testTarget(name: "WorkloadsTests", dependencies: ["Workloads", "Kernels"]),
        .testTarget(name: "ModelRunnerTests", dependencies: ["ModelRunner", "Workloads", "TunebenchRuntime", "TuningDatabase", "HardwareProbe", "Kernels"]),
        .testTarget(name: "TuningDatabaseTests", dependencies: ["TuningDatabase", .product(name: "GRDB", package: "GRDB.swift")]),
        .testTarget(name: "TuningDatabasePostgresTests", dependencies: ["TuningDatabasePostgres", "TuningDatabase"]),
        .testTarget(name: "TuningTests", dependencies: ["Tuning", "Search", "Kernels", "TuningDatabase", "HardwareProbe", "Workloads", "TunebenchRuntime"]),
        .testTarget(name: "TunebenchRuntimeTests", dependencies: ["TunebenchRuntime", "TuningDatabase", "HardwareProbe", "KernelModel", "DeploymentExport"]),
        // Runs the built `tunebench` binary: exit codes, one-line errors, files written.
        .testTarget(name: "tunebenchTests", dependencies: [.product(name: "Yams", package: "Yams")]),
    ],
    swiftLanguageModes: [.v6]
)
