// swift-tools-version:6.0
import PackageDescription
import Foundation

// The CPU the hot code is compiled for. Default: this build machine's CPU. A fleet build picks a
// portable level instead, e.g. `TUNEBENCH_MARCH=x86-64-v3 swift build -c release`.
// Measured here: without a target CPU no FMA/AVX2 instruction is emitted and `addingProduct`
// becomes a call to fmaf, about 100x slower (docs/DESIGN.md).
let targetCPU = ProcessInfo.processInfo.environment["TUNEBENCH_MARCH"] ?? "native"

// Flags for the one target whose hot loops are still Swift: the roofline micro-benchmarks
// (Measurement). Never applied to what deployments link (the runtime library, the kernels, the
// model engine): those must carry no unsafe flags.
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
        // The tuned int8, int4, fp16 and bf16 layers run without build flags (versioned dependencies).
        .library(name: "PortableKernels", targets: ["PortableKernels"]),
        // Every tunable kernel (fp32 GEMM, GEMV, conv2d too) without build flags: versioned dependencies.
        .library(name: "Kernels", targets: ["Kernels"]),
        // The model engine (TunedModel): whole ONNX models through the tuned kernels, no build flags
        // either (versioned dependencies).
        .library(name: "ModelRunner", targets: ["ModelRunner"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-crypto", "3.0.0"..<"5.0.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.0.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.0"),
        // PostgresNIO's own: the event loops it runs on and the TLS of sslmode.
        .package(url: "https://github.com/apple/swift-nio", from: "2.81.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.25.0"),
    ],
    targets: [
        // Layer 0 (docs/DESIGN.md, "Targets and layers"): system-library shims, C helpers and
        // what every target shares. A test (Tests/tunebenchTests/LayeringTests.swift) checks that
        // every dependency below points to a lower layer of that table.
        .systemLibrary(name: "CHwloc", pkgConfig: "hwloc", providers: [.apt(["libhwloc-dev"])]),
        .systemLibrary(name: "CPAPI", pkgConfig: "papi", providers: [.apt(["libpapi-dev"])]),
        // libxml2, to locate the syntax error in an XML topology hwloc refused.
        .systemLibrary(name: "CLibXML2", pkgConfig: "libxml-2.0", providers: [.apt(["libxml2-dev"])]),
        // OpenBLAS, the peer in GEMM benchmarks (never used by tunebench's own kernels).
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        // Type declarations for NVML, which is loaded with dlopen and never linked.
        .systemLibrary(name: "CNVML"),
        // Type declarations for the CUDA driver API, NVRTC and cuBLAS: all loaded with dlopen,
        // never linked, so tunebench builds and runs where there is no GPU.
        .systemLibrary(name: "CCUDA"),
        // Integer (W8A8, W4A8) and bf16 dot-product kernels, a variant per instruction set chosen
        // at run time: per-function target attributes, no build flags.
        .target(name: "CIntegerKernels"),
        // The fp32 GEMM's micro-kernels and every other vector loop of the kernels and the model
        // engine (GEMV tiles, packing, epilogues, convolutions, softmax, attention, pooling), per
        // instruction set through target attributes and chosen at run time (no build flags).
        .target(name: "CFloatKernels"),
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
        // The error protocol, timestamps and JSON encoding every target shares.
        .target(name: "TunebenchCore"),
        // The ONNX messages tunebench reads, generated once from onnx-subset.proto
        // (scripts/generate-onnx-proto) and committed: no protoc in the build.
        .target(
            name: "ONNXProto",
            dependencies: [.product(name: "SwiftProtobuf", package: "swift-protobuf")],
            exclude: ["onnx-subset.proto"]
        ),

        // Layer 1
        .target(name: "CXMLCheck", dependencies: ["CLibXML2"]),
        // The layer identity, kernel configurations, precisions, the kernel-library version and
        // the analytical defaults: no build flags, shared by the kernels and the runtime library.
        .target(name: "KernelModel", dependencies: ["TunebenchCore"]),
        // Trials, best configurations and provenance in SQLite (GRDB); knows nothing of kernels.
        .target(name: "TuningDatabase", dependencies: ["TunebenchCore", .product(name: "GRDB", package: "GRDB.swift")]),

        // Layer 2
        // The hardware profile, its fingerprint and the live machine's identity (hwloc, cpuid):
        // what a deployment needs of the probe, without PAPI or libxml2.
        .target(
            name: "MachineIdentity",
            dependencies: ["CHwloc", "CCPUInfo", "KernelModel", "TunebenchCore", .product(name: "Crypto", package: "swift-crypto")]
        ),
        // The dot-product layers (CIntegerKernels), the thread team and the weight formats: no
        // build flags, so deployments run their tuned int8/int4/fp16/bf16 layers from a versioned dependency.
        .target(name: "PortableKernels", dependencies: ["CIntegerKernels", "KernelModel"]),
        // The tuning database in PostgreSQL (fleets): same tables and records, postgres-nio.
        .target(name: "TuningDatabasePostgres", dependencies: [
            "TuningDatabase", .product(name: "PostgresNIO", package: "postgres-nio"),
            .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
        ]),

        // Layer 3
        // The CUDA driver, NVRTC and cuBLAS through dlopen: devices, contexts, memory, modules,
        // launches, event timing, run-time compilation.
        .target(name: "CUDALibraries", dependencies: ["CCUDA", "MachineIdentity", "TunebenchCore"]),
        // The tunable kernels and their factory. No build flags: their loops are CFloatKernels' and
        // CIntegerKernels' variants, so deployments run tuned fp32 layers from a versioned dependency too.
        .target(name: "Kernels", dependencies: ["CFloatKernels", "PortableKernels", "KernelModel"]),
        .target(name: "Counters", dependencies: ["CPAPI", "MachineIdentity"]),
        // What deployments link: configurations for layers from a tuning database or an
        // exported artifact, with the fallback chain of docs/DESIGN.md. No unsafe build flags,
        // PAPI or libxml2 anywhere in its dependencies, so it works as a SwiftPM dependency.
        .target(name: "TunebenchRuntime", dependencies: ["MachineIdentity", "KernelModel", "TuningDatabase"]),

        // Layer 4
        // Search spaces and strategies; never touches the database (docs/DESIGN.md).
        .target(name: "Search", dependencies: ["Kernels", "TunebenchCore"]),
        // Models as layers to tune: ONNX, Hugging Face config.json, layer lists.
        .target(name: "Workloads", dependencies: ["Kernels", "CFloatKernels", "ONNXProto", "TunebenchCore"]),
        .target(name: "Peers", dependencies: ["COpenBLAS", "Kernels"]),
        // The full probe: identity plus counters (PAPI), the CUDA driver and NVML, frequencies, XML diagnostics.
        .target(name: "HardwareProbe", dependencies: ["MachineIdentity", "CXMLCheck", "CNVML", "Counters", "CUDALibraries"]),
        // `tunebench export`: the artifact as JSON, YAML or a C header.
        .target(name: "DeploymentExport", dependencies: ["TunebenchRuntime", "KernelModel", .product(name: "Yams", package: "Yams")]),

        // The GPU kernels compiled at run time (CUDA C with -D parameters, NVRTC): GEMM on CUDA
        // cores and tensor cores, the decode GEMV, the GPU roofline; spaces, compile cache, runs.
        .target(name: "GPUKernels", dependencies: ["CUDALibraries", "Kernels", "KernelModel", "PortableKernels", "MachineIdentity", "TunebenchCore", .product(name: "Crypto", package: "swift-crypto")]),

        // Layer 5
        // An ONNX plan's layers bound to kernels and run, the other operators on reference code.
        // No build flags: its element-wise, softmax, normalization, pooling and attention loops are
        // CFloatKernels' variants too.
        .target(name: "ModelEngine", dependencies: ["Kernels", "CFloatKernels", "Workloads", "ONNXProto", "TunebenchCore"]),
        // The roofline's loops are Swift: -Ounchecked and the target CPU, recorded (CBuildTarget) with each profile.
        // Deployments never link it.
        .target(name: "Measurement", dependencies: ["HardwareProbe", "Kernels", "Counters", "CBuildTarget"], swiftSettings: hotLoopSwiftSettings),

        // Layer 6
        // `tunebench run`: an ONNX model through the tuned kernels, checked against a reference.
        .target(name: "ModelRunner", dependencies: ["ModelEngine", "Kernels", "Workloads", "ONNXProto", "TunebenchRuntime", "MachineIdentity"]),
        // `tunebench tune` and `autotune`: search + measurement (in a worker process) + the database.
        .target(
            name: "Tuning",
            dependencies: [
                "HardwareProbe", "Kernels", "Measurement", "Search", "TuningDatabase", "Workloads", "ModelEngine",
                "GPUKernels", "CUDALibraries", .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // `tunebench bench`: one kernel configuration measured, placed on the roofline, and
        // compared with its peer.
        .target(name: "Benchmarks", dependencies: ["HardwareProbe", "Kernels", "Measurement", "Peers", "Counters"]),

        // Layer 7: presentation, the one home of every text, Markdown and HTML report.
        .target(
            name: "Reports",
            dependencies: ["HardwareProbe", "TunebenchRuntime", "TuningDatabase", "Tuning", "Benchmarks", "ModelRunner", "ModelEngine", "Search", "Measurement", "Workloads", "GPUKernels"]
        ),

        // Layer 8
        .executableTarget(
            name: "tunebench",
            dependencies: [
                "TunebenchCore", "MachineIdentity", "HardwareProbe", "Measurement", "Reports", "Kernels", "Benchmarks",
                "Search", "Tuning", "TuningDatabase", "TuningDatabasePostgres", "Workloads", "TunebenchRuntime", "DeploymentExport", "ModelRunner", "ModelEngine",
                "GPUKernels", "CUDALibraries",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Benchmark: a runtime lookup after loading (scripts/bench-runtime).
        .executableTarget(name: "runtime-lookup-bench", dependencies: ["TunebenchRuntime", "MachineIdentity", "KernelModel"]),
        // Generated hostile inputs for every parser (Tests/tunebenchTests/HostileInputTests.swift runs it).
        .executableTarget(name: "hostile-inputs", dependencies: ["HardwareProbe", "MachineIdentity", "TuningDatabase", "Workloads", "TunebenchCore"]),

        .testTarget(name: "HardwareProbeTests", dependencies: ["HardwareProbe", "MachineIdentity", "Kernels", "Measurement", "CUDALibraries"]),
        .testTarget(name: "CountersTests", dependencies: ["Counters", "MachineIdentity"]),
        .testTarget(name: "KernelsTests", dependencies: ["Kernels", "CFloatKernels"]),
        .testTarget(name: "GPUKernelsTests", dependencies: ["GPUKernels", "CUDALibraries", "Kernels", "KernelModel", "MachineIdentity"]),
        .testTarget(name: "SearchTests", dependencies: ["Search", "Kernels"]),
        .testTarget(name: "MeasurementTests", dependencies: ["Measurement", "HardwareProbe"]),
        .testTarget(name: "ReportsTests", dependencies: ["Reports", "HardwareProbe", "TunebenchRuntime", "KernelModel"]),
        .testTarget(name: "WorkloadsTests", dependencies: ["Workloads", "Kernels", "TunebenchCore", "ONNXProto"]),
        .testTarget(name: "ModelRunnerTests", dependencies: ["ModelRunner", "ModelEngine", "Workloads", "ONNXProto", "TunebenchRuntime", "TuningDatabase", "MachineIdentity", "Kernels", "TunebenchCore"]),
        .testTarget(name: "TuningDatabaseTests", dependencies: ["TuningDatabase", .product(name: "GRDB", package: "GRDB.swift")]),
        .testTarget(name: "TuningDatabasePostgresTests", dependencies: ["TuningDatabasePostgres", "TuningDatabase"]),
        .testTarget(name: "TuningTests", dependencies: ["Tuning", "Search", "Kernels", "TuningDatabase", "HardwareProbe", "Workloads", "Reports", "TunebenchCore", "ModelEngine", "GPUKernels", "CUDALibraries", "TunebenchRuntime"]),
        .testTarget(name: "TunebenchRuntimeTests", dependencies: ["TunebenchRuntime", "TuningDatabase", "HardwareProbe", "KernelModel", "DeploymentExport", "TunebenchCore"]),
        // Runs the built `tunebench` binary: exit codes, one-line errors, files written; and
        // checks the target graph against docs/DESIGN.md.
        .testTarget(name: "tunebenchTests", dependencies: [.product(name: "Yams", package: "Yams")]),
    ],
    swiftLanguageModes: [.v6]
)
