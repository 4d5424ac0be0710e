import CFloatKernels

extension Conv2DShape {
    /// The width of an input plane with its zero border (`padding` on every side).
    var paddedWidth: Int { width + 2 * padding }
    /// The size of an input plane with its zero border.
    var paddedPlane: Int { (height + 2 * padding) * paddedWidth }

    /// Copies `planes` consecutive input planes into the interiors of as many padded planes;
    /// their borders, zeroed when the buffer was made, stay zero. The conv kernels read the
    /// padded copy so that no tap needs a bounds check.
    func copyPadded(_ source: UnsafePointer<Float>, planes: Int, into padded: UnsafeMutablePointer<Float>) {
        VectorLoops.current.copy_padded(padded, source, planes, height, width, padding)
    }
}
