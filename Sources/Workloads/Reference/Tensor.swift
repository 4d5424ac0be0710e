import Foundation

/// A value flowing through the graph: floats, or integers for shape arithmetic (Shape,
/// Gather on shapes, Reshape targets). Row-major.
public struct Tensor: Sendable {
    public var shape: [Int]
    public var data: [Float]
    public var ints: [Int64]?

    public init(shape: [Int], data: [Float]) {
        precondition(data.count == shape.reduce(1, *), "tensor of shape \(shape) with \(data.count) values")
        self.shape = shape
        self.data = data
    }

    public init(shape: [Int], ints: [Int64]) {
        self.shape = shape
        self.data = ints.map { Float($0) }
        self.ints = ints
    }

    public var count: Int { shape.reduce(1, *) }

    /// What the shape rules know of this value: its shape, its integers, and its floats when it
    /// is small enough to be a parameter (Resize scales).
    var value: ONNXValue {
        ONNXValue(shape: shape, ints: ints, floats: ints == nil && count <= ONNXShapeInference.constantLimit ? data : nil)
    }

    /// An initializer's values (integer ones keep their integers, for shape arithmetic).
    public init(_ tensor: ONNXTensor) {
        if let ints = tensor.ints { self.init(shape: tensor.dims, ints: ints) } else { self.init(shape: tensor.dims, data: tensor.floats ?? []) }
    }

    /// The values as little-endian float32 bytes (.npy data, ONNX raw_data).
    public var littleEndianBytes: Data {
        #if _endian(little)
        data.withUnsafeBufferPointer { Data(buffer: $0) }
        #else
        Data(data.flatMap { value in withUnsafeBytes(of: value.bitPattern.littleEndian) { Array($0) } })
        #endif
    }

    /// Strides of a row-major layout.
    package static func strides(_ shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        var running = 1
        for axis in shape.indices.reversed() {
            strides[axis] = running
            running *= shape[axis]
        }
        return strides
    }
}
