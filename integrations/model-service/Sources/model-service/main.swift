import Foundation
import ModelRunner
import Workloads

// model-service MODEL.onnx ARTIFACT.json [name=size …]: loads the model once, then answers
// "requests" (here: seeded inputs) and prints each output's shape and the time per pass.
let arguments = Array(CommandLine.arguments.dropFirst())
guard arguments.count >= 2 else {
    FileHandle.standardError.write(Data("usage: model-service MODEL.onnx ARTIFACT.json [name=size …]\n".utf8))
    exit(64)
}
var dimensions: [String: Int] = [:]
for binding in arguments.dropFirst(2) {
    let parts = binding.split(separator: "=")
    guard parts.count == 2, let size = Int(parts[1]) else { fatalError("\(binding) is not name=size") }
    dimensions[String(parts[0])] = size
}
do {
    let model = try TunedModel(path: arguments[0], dimensions: dimensions, artifact: arguments[1])
    for layer in model.layers {
        print("\(layer.name): \(layer.answer.kernel) \(layer.answer.precision.rawValue) \(layer.answer.config.parameterText)\(layer.fallbackReason.map { " (fallback: \($0))" } ?? "")")
    }
    // A request: every input filled with a small pattern (a real service decodes its payload).
    let request = Dictionary(uniqueKeysWithValues: model.inputs.map { input in
        let count = input.shape.reduce(1, *)
        return (input.name, input.isInteger ? Tensor(shape: input.shape, ints: Array(repeating: 1, count: count))
                                            : Tensor(shape: input.shape, data: (0..<count).map { Float($0 % 7) / 7 - 0.5 }))
    })
    for attempt in 1...5 {
        let start = Date()
        let outputs = try model.run(request)
        let shapes = outputs.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value.shape)" }.joined(separator: ", ")
        print(String(format: "request %d: %@ in %.3f ms", attempt, shapes, Date().timeIntervalSince(start) * 1e3))
    }
} catch {
    FileHandle.standardError.write(Data("model-service: \(error)\n".utf8))
    exit(1)
}
