// swift-tools-version:6.0
// A Swift service running an ONNX model through tunebench's tuned engine (TunedModel): the
// model, a deployment artifact from `tunebench export`, and its dimensions, then one forward
// pass per request. Build: `swift build` here (uses the tunebench checkout two levels up; a
// service depends on a branch or path: the kernels' build flags keep the engine from a
// versioned dependency until they need none).
import PackageDescription

let package = Package(
    name: "model-service",
    platforms: [.macOS(.v15)],
    dependencies: [.package(name: "tunebench", path: "../..")],
    targets: [
        .executableTarget(name: "model-service", dependencies: [.product(name: "ModelRunner", package: "tunebench")]),
    ]
)
