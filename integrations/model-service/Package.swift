// swift-tools-version:6.0
// A Swift service running an ONNX model through tunebench's tuned engine (TunedModel): the
// model, a deployment artifact from `tunebench export`, and its dimensions, then one forward
// pass per request. Build: `swift build` here (uses the tunebench checkout two levels up; a
// service depends on a tagged release instead, as scripts/check-runtime-dependency builds it:
// the engine and its kernels carry no build flags).
import PackageDescription

let package = Package(
    name: "model-service",
    platforms: [.macOS(.v15)],
    dependencies: [.package(name: "tunebench", path: "../..")],
    targets: [
        .executableTarget(name: "model-service", dependencies: [.product(name: "ModelRunner", package: "tunebench")]),
    ]
)
