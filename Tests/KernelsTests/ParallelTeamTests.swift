import Foundation
@testable import Kernels
import Testing

/// The kernels' thread team: every index of a call runs once, the workers outside it not at all,
/// whether the workers were spinning (calls back to back) or asleep (after a pause).
@Suite("kernel thread team")
struct ParallelTeamTests {
    @Test("every index runs exactly once per call, for every thread count, woken while spinning and from sleep",
          .timeLimit(.minutes(3)))
    func everyIndexOnce() {
        let team = ParallelTeam(size: 4)  // more workers than this machine's cores: they share them
        let counts = UnsafeMutableBufferPointer<Int>.allocate(capacity: team.size)
        counts.initialize(repeating: 0)
        defer { counts.deallocate() }
        nonisolated(unsafe) let slots = counts
        var expected = [Int](repeating: 0, count: team.size)
        for call in 0..<1200 {
            let threads = 1 + call % team.size
            team.run(threads: threads) { index in slots[index] += 1 }  // each index writes its own slot
            for index in 0..<threads { expected[index] += 1 }
            // Past the spin (0.5 ms) the workers sleep: the next call has to wake them.
            if call % 200 == 199 { Thread.sleep(forTimeInterval: 0.003) }
        }
        #expect(Array(counts) == expected)
    }
}
