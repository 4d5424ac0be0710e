// swift-tools-version:6.0
// A deployment using tunebench's runtime library: which configuration to run for each layer on
// this machine. Build: `swift build` here (uses the tunebench checkout two levels up; a real
// deployment depends on a tagged release instead: .package(url: "…/tunebench", from: "0.4.0")).
import PackageDescription

let package = Package(
    name: "deployment-example",
    platforms: [.macOS(.v15)],
    dependencies: [.package(name: "tunebench", path: "../..")],
    targets: [
        .executableTarget(name: "deployment-example", dependencies: [.product(name: "TunebenchRuntime", package: "tunebench")]),
        // A tuned layer looked up and run (Kernels and PortableKernels: no build flags either).
        .executableTarget(name: "tuned-layer-example", dependencies: [
            .product(name: "TunebenchRuntime", package: "tunebench"), .product(name: "Kernels", package: "tunebench"),
        ]),
    ]
)
