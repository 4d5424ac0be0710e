/// A 2-D convolution, NCHW input [batch, channels, height, width], weights [outChannels,
/// channels / groups, kernelH, kernelW], output [batch, outChannels, outH, outW]. With groups,
/// each group of outChannels / groups outputs reads its own channels / groups inputs.
public struct Conv2DShape: Codable, Hashable, Sendable, CustomStringConvertible {
    public var batch: Int
    public var channels: Int
    public var height: Int
    public var width: Int
    public var outChannels: Int
    public var kernelHeight: Int
    public var kernelWidth: Int
    public var stride: Int
    public var padding: Int
    public var dilation: Int
    public var groups: Int

    public init(batch: Int, channels: Int, height: Int, width: Int, outChannels: Int, kernelHeight: Int, kernelWidth: Int,
                stride: Int = 1, padding: Int = 0, dilation: Int = 1, groups: Int = 1) throws {
        self.batch = batch
        self.channels = channels
        self.height = height
        self.width = width
        self.outChannels = outChannels
        self.kernelHeight = kernelHeight
        self.kernelWidth = kernelWidth
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.groups = groups
        guard groups > 0, channels % groups == 0, outChannels % groups == 0 else {
            throw KernelError.invalidConfig("conv2d groups=\(groups) must divide the \(channels) input and \(outChannels) output channels")
        }
        guard [batch, channels, height, width, outChannels, kernelHeight, kernelWidth, stride, dilation].allSatisfy({ $0 > 0 }), padding >= 0 else {
            throw KernelError.invalidConfig("conv2d sizes must be positive (padding >= 0): \(self)")
        }
        // The computed sizes multiply these (pixels, reduction, element counts): bounded so that
        // no product overflows; larger-than-memory shapes are refused later (Layer.checkFits).
        guard [batch, channels, height, width, outChannels, kernelHeight, kernelWidth, stride, padding, dilation].allSatisfy({ $0 <= Layer.largestDimension }),
              Double(channels) * Double(kernelHeight) * Double(kernelWidth) < 0x1p53,
              Double(batch) * Double(max(channels, outChannels)) * Double(height + 2 * padding) * Double(width + 2 * padding) < 0x1p53 else {
            throw KernelError.invalidConfig("conv2d \(self) is larger than any machine's memory")
        }
        guard outHeight > 0, outWidth > 0 else {
            throw KernelError.invalidConfig("conv2d \(self): the dilated kernel is larger than the padded input")
        }
    }

    /// "N,C,H,W,K,R,S[,stride[,pad[,dilation[,groups]]]]", e.g. "1,64,56,56,64,3,3,1,1".
    public init(parsing text: String) throws {
        let numbers = text.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard (7...11).contains(numbers.count), numbers.allSatisfy({ $0 != nil }) else {
            throw KernelError.invalidConfig("conv2d --shape is N,C,H,W,K,R,S[,stride[,pad[,dilation]]], e.g. 1,64,56,56,64,3,3,1,1; got \"\(text)\"")
        }
        let v = numbers.map { $0! }
        try self.init(batch: v[0], channels: v[1], height: v[2], width: v[3], outChannels: v[4], kernelHeight: v[5], kernelWidth: v[6],
                      stride: v.count > 7 ? v[7] : 1, padding: v.count > 8 ? v[8] : 0, dilation: v.count > 9 ? v[9] : 1,
                      groups: v.count > 10 ? v[10] : 1)
    }

    // Inlinable: the conv kernels read these per pixel, from another module.
    @inlinable public var outHeight: Int { (height + 2 * padding - dilation * (kernelHeight - 1) - 1) / stride + 1 }
    @inlinable public var outWidth: Int { (width + 2 * padding - dilation * (kernelWidth - 1) - 1) / stride + 1 }
    /// The GEMM dimensions of one image: output pixels x (C·R·S) x output channels.
    @inlinable public var pixels: Int { outHeight * outWidth }
    /// The reduction of one output: its group's input channels times the window.
    @inlinable public var reduction: Int { channels / groups * kernelHeight * kernelWidth }

    public var description: String {
        "n=\(batch) c=\(channels) h=\(height) w=\(width) k=\(outChannels) r=\(kernelHeight) s=\(kernelWidth) stride=\(stride) pad=\(padding) dilation=\(dilation)"
            + (groups > 1 ? " groups=\(groups)" : "")
    }
}

extension Conv2DShape {
    enum CodingKeys: String, CodingKey {
        case batch, channels, height, width, outChannels, kernelHeight, kernelWidth, stride, padding, dilation, groups
    }

    /// `groups` may be absent (a shape written before grouped convolutions): one group.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        try self.init(batch: try c.decode(Int.self, forKey: .batch), channels: try c.decode(Int.self, forKey: .channels),
                      height: try c.decode(Int.self, forKey: .height), width: try c.decode(Int.self, forKey: .width),
                      outChannels: try c.decode(Int.self, forKey: .outChannels), kernelHeight: try c.decode(Int.self, forKey: .kernelHeight),
                      kernelWidth: try c.decode(Int.self, forKey: .kernelWidth), stride: try c.decode(Int.self, forKey: .stride),
                      padding: try c.decode(Int.self, forKey: .padding), dilation: try c.decode(Int.self, forKey: .dilation),
                      groups: try c.decodeIfPresent(Int.self, forKey: .groups) ?? 1)
    }
}
