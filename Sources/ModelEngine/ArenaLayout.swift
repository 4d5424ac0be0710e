/// Offsets of a model's intermediate values in one buffer, by lifetime: two values share
/// memory when no step needs both. Greedy by size (largest first, each at the lowest offset
/// free for its whole lifetime), as TensorFlow Lite's arena planner does.
enum ArenaLayout {
    struct Item {
        /// Floats.
        var size: Int
        /// The first and last step (inclusive) that need the value.
        var first: Int
        var last: Int
    }

    /// Each item's offset (in floats, multiples of `alignment`) and the buffer's size.
    static func place(_ items: [Item], alignment: Int = 16) -> (offsets: [Int], total: Int) {
        func aligned(_ size: Int) -> Int { (size + alignment - 1) / alignment * alignment }
        var offsets = [Int](repeating: 0, count: items.count)
        var placed: [Int] = []
        var total = 0
        for index in items.indices.sorted(by: { (items[$0].size, $1) > (items[$1].size, $0) }) {
            let item = items[index]
            // The placed items alive at the same time, by offset; take the first gap that fits.
            let overlapping = placed.filter { items[$0].first <= item.last && item.first <= items[$0].last }.sorted { offsets[$0] < offsets[$1] }
            var offset = 0
            for other in overlapping {
                if offsets[other] - offset >= aligned(item.size) { break }
                offset = max(offset, offsets[other] + aligned(items[other].size))
            }
            offsets[index] = offset
            total = max(total, offset + aligned(item.size))
            placed.append(index)
        }
        return (offsets, total)
    }
}
