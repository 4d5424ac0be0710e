import CKernelSupport

extension Conv2DShape {
    /// The width of an input plane with its zero border (`padding` on every side).
    var paddedWidth: Int { width + 2 * padding }
    /// The size of an input plane with its zero border.
    var paddedPlane: Int { (height + 2 * padding) * paddedWidth }

    /// Copies `planes` consecutive input planes into the interiors of as many padded planes;
    /// their borders, zeroed when the buffer was made, stay zero. The conv kernels read the
    /// padded copy so that no tap needs a bounds check.
    func copyPadded(_ source: UnsafePointer<Float>, planes: Int, into padded: UnsafeMutablePointer<Float>) {
        for plane in 0..<planes {
            for row in 0..<height {
                // In vectors: a call to memmove per row of 8 to 32 floats cost more than the copy.
                ckernel_copy_strided(padded + plane * paddedPlane + (row + padding) * paddedWidth + padding, source + (plane * height + row) * width, width, 1)
            }
        }
    }
}
