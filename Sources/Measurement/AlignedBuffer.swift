/// Page-aligned Float storage for the bandwidth micro-benchmarks, freed in deinit.
///
/// `@unchecked Sendable`: threads of a team write disjoint slices (or only read), and the team
/// joins them before the owner reads or frees the buffer.
final class AlignedBuffer: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Float>
    let count: Int

    init(floats count: Int) {
        self.count = count
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * 4, alignment: 4096)
        pointer = raw.bindMemory(to: Float.self, capacity: max(count, 1))
    }

    deinit {
        UnsafeMutableRawPointer(pointer).deallocate()
    }

    /// The slice thread `index` of `threads` owns, in whole 64-float (256-byte) chunks.
    func slice(_ index: Int, of threads: Int) -> Range<Int> {
        let chunks = count / 64
        let lower = chunks * index / threads * 64
        let upper = chunks * (index + 1) / threads * 64
        return lower..<upper
    }
}
