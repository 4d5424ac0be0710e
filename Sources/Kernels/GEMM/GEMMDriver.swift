/// The BLIS loop nest around the micro-kernels, for one configuration:
///   jc over N by NC → pc over K by KC (pack B) → ic over M by MC (pack A) → jr by NR → ir by MR.
/// Threads split the output by rows (loop=m) or columns (loop=n); each runs the nest on its
/// part with its own packing buffers, so no thread waits for another inside a call.
final class GEMMDriver: @unchecked Sendable {
    // `@unchecked Sendable`: immutable configuration plus per-thread buffers that only their
    // own thread touches.
    let m: Int, n: Int, k: Int
    let mr: Int, nr: Int, mc: Int, kc: Int, nc: Int
    let threads: Int
    let splitRows: Bool
    let packA: Bool
    let packB: Bool
    /// order=ir: register tiles row panel by row panel (A in L1); order=jr: BLIS's column order.
    let rowPanelsOuter: Bool
    /// The whole weight matrix packed into NR-column panels (fp32) once, at set-up: weights are
    /// constant in inference, so no call pays for packing B (pack_b=2).
    private let prepacked: FloatBuffer?
    let epilogue: Epilogue
    let microKernel: MicroKernel
    private let packedA: [FloatBuffer]
    private let packedB: [FloatBuffer]
    /// Per-thread room for a partial A panel packed on the fly (A read in place, last rows).
    private let edgePanels: [FloatBuffer]
    private let scratchTiles: [FloatBuffer]

    init(config: KernelConfig, m: Int, n: Int, k: Int, epilogue: Epilogue, weights: WeightMatrix) {
        self.m = m
        self.n = n
        self.k = k
        mr = config.int("mr") ?? 4
        nr = config.int("nr") ?? 24
        mc = config.int("mc") ?? 144
        kc = config.int("kc") ?? 256
        nc = config.int("nc") ?? 4080
        threads = config.int("threads") ?? 1
        splitRows = config.text("loop") == "m"
        packA = config.int("pack_a") != 0
        packB = config.int("pack_b") == 1
        rowPanelsOuter = config.text("order") == "ir"
        self.epilogue = epilogue
        microKernel = Self.microKernel(mr: mr, nr: nr)
        if config.int("pack_b") == 2 {
            let panels = (n + nr - 1) / nr
            let buffer = FloatBuffer(count: panels * nr * k, weightMemory: true)
            Kernels.packB(weights, k0: 0, kc: k, n0: 0, nc: n, nr: nr, into: buffer.pointer)
            prepacked = buffer
        } else {
            prepacked = nil
        }
        let kcMax = min(kc, k)
        let aCount = (min(mc, m) + mr - 1) / mr * mr * kcMax
        let bCount = packB ? (min(nc, n) + nr - 1) / nr * nr * kcMax : 0
        let edgeCount = mr * kcMax
        packedA = (0..<threads).map { _ in FloatBuffer(count: aCount) }
        packedB = (0..<threads).map { _ in FloatBuffer(count: bCount) }
        let tileCount = mr * nr
        edgePanels = (0..<threads).map { _ in FloatBuffer(count: edgeCount) }
        scratchTiles = (0..<threads).map { _ in FloatBuffer(count: tileCount) }
    }

    /// The register micro-kernel of an MR x NR tile (6x16 for a tile there is none of: the
    /// spaces' constraints admit only tiles there are).
    static func microKernel(mr: Int, nr: Int) -> MicroKernel {
        Kernels.microKernel(mr: mr, nr: nr) ?? Kernels.microKernel(mr: 6, nr: 16)!
    }

    /// Computes rows 0..<rows (default: all m) of C; conv2d drives it a chunk of rows at a time.
    /// A's element (i, p) is at a[i * aRowStride + p * aKStride]: row-major by default; conv2d
    /// passes its im2col matrix column-major (rows contiguous), the layout im2col writes fastest.
    func run(a: UnsafePointer<Float>, weights: WeightMatrix, bias: UnsafePointer<Float>?, c: UnsafeMutablePointer<Float>,
             team: ParallelTeam, rows: Int? = nil, aStrides: (row: Int, k: Int)? = nil) {
        let m = min(rows ?? self.m, self.m)
        let strides = aStrides ?? (row: k, k: 1)
        team.run(threads: threads) { index in
            guard index < threads else { return }
            let rows = splitRows ? ParallelTeam.chunk(index, of: threads, count: m, granule: mr) : 0..<m
            let columns = splitRows ? 0..<n : ParallelTeam.chunk(index, of: threads, count: n, granule: nr)
            guard !rows.isEmpty, !columns.isEmpty else { return }
            nest(rows: rows, columns: columns, a: a, aStrides: strides, weights: weights, bias: bias, c: c, thread: index)
        }
    }

    private func nest(
        rows: Range<Int>, columns: Range<Int>, a: UnsafePointer<Float>, aStrides: (row: Int, k: Int), weights: WeightMatrix,
        bias: UnsafePointer<Float>?, c: UnsafeMutablePointer<Float>, thread: Int
    ) {
        let aBuffer = packedA[thread].pointer, bBuffer = packedB[thread].pointer
        let edge = edgePanels[thread].pointer
        let scratch = scratchTiles[thread].pointer
        let fp32Weights = weights.storage.assumingMemoryBound(to: Float.self)
        for jc in stride(from: columns.lowerBound, to: columns.upperBound, by: nc) {
            let ncCur = min(nc, columns.upperBound - jc)
            for pc in stride(from: 0, to: k, by: kc) {
                let kcCur = min(kc, k - pc)
                let last = pc + kcCur == k
                if packB { Kernels.packB(weights, k0: pc, kc: kcCur, n0: jc, nc: ncCur, nr: nr, into: bBuffer) }
                for ic in stride(from: rows.lowerBound, to: rows.upperBound, by: mc) {
                    let mcCur = min(mc, rows.upperBound - ic)
                    if packA { Kernels.packA(a, strides: aStrides, rows: ic..<(ic + mcCur), k0: pc, kc: kcCur, mr: mr, into: aBuffer) }
                    // One register tile: A micro-panel ir against B micro-panel jr.
                    func tileStep(_ jr: Int, _ ir: Int) {
                        let nrCur = min(nr, ncCur - jr)
                        let bPanel: UnsafePointer<Float>
                        let bStride: Int
                        if let prepacked {
                            bPanel = UnsafePointer(prepacked.pointer + ((jc + jr) / nr * k + pc) * nr)
                            bStride = nr
                        } else if packB {
                            bPanel = UnsafePointer(bBuffer + jr * kcCur)
                            bStride = nr
                        } else {
                            bPanel = UnsafePointer(fp32Weights + pc * n + jc + jr)
                            bStride = n
                        }
                        let mrCur = min(mr, mcCur - ir)
                        var aPanel: UnsafePointer<Float>
                        var aRow = 1, aK = mr
                        if packA {
                            aPanel = UnsafePointer(aBuffer + ir * kcCur)
                        } else if mrCur == mr {
                            aPanel = a + (ic + ir) * aStrides.row + pc * aStrides.k
                            aRow = aStrides.row
                            aK = aStrides.k
                        } else {
                            // A partial panel read in place would run past the last row.
                            Kernels.packA(a, strides: aStrides, rows: (ic + ir)..<(ic + ir + mrCur), k0: pc, kc: kcCur, mr: mr, into: edge)
                            aPanel = UnsafePointer(edge)
                        }
                        let tile = c + (ic + ir) * n + jc + jr
                        if mrCur == mr && nrCur == nr {
                            microKernel(Int64(kcCur), aPanel, Int64(aRow), Int64(aK), bPanel, Int64(bStride), tile, Int64(n), pc > 0 ? 1 : 0)
                        } else {
                            edgeTile(kcCur, aPanel, aRow, aK, bPanel, bStride, tile, mrCur, nrCur, pc > 0, scratch)
                        }
                        if last, epilogue != .none {
                            epilogue.apply(tile, ldc: n, rows: mrCur, cols: nrCur, column: jc + jr, bias: bias)
                        }
                    }
                    forEachTile(rows: mcCur, columns: ncCur, mr: mr, nr: nr, rowPanelsOuter: rowPanelsOuter, tileStep)
                }
            }
        }
    }

    /// A tile at the right or bottom edge: compute the full MR x NR tile into the thread's
    /// scratch tile, then write only the part inside C.
    private func edgeTile(
        _ kc: Int, _ a: UnsafePointer<Float>, _ aRow: Int, _ aK: Int, _ b: UnsafePointer<Float>, _ bStride: Int,
        _ c: UnsafeMutablePointer<Float>, _ rows: Int, _ cols: Int, _ accumulate: Bool, _ tile: UnsafeMutablePointer<Float>
    ) {
        microKernel(Int64(kc), a, Int64(aRow), Int64(aK), b, Int64(bStride), tile, Int64(nr), 0)
        storePartialTile(tile, nr: nr, into: c, ldc: n, rows: rows, cols: cols, accumulate: accumulate)
    }
}

/// The register tiles (jr, ir) of an MC x NC block, in the configured order: order=ir keeps the
/// A micro-panel in L1 while B micro-panels stream from L2; order=jr (BLIS's) the reverse.
@inline(__always)
func forEachTile(rows: Int, columns: Int, mr: Int, nr: Int, rowPanelsOuter: Bool, _ step: (_ jr: Int, _ ir: Int) -> Void) {
    if rowPanelsOuter {
        for ir in stride(from: 0, to: rows, by: mr) {
            for jr in stride(from: 0, to: columns, by: nr) { step(jr, ir) }
        }
    } else {
        for jr in stride(from: 0, to: columns, by: nr) {
            for ir in stride(from: 0, to: rows, by: mr) { step(jr, ir) }
        }
    }
}

/// The rows x cols corner of a full MR x NR tile computed into `tile` (row stride nr), written
/// (or added, after the first K block) into C at the edge.
@inline(__always)
func storePartialTile(_ tile: UnsafePointer<Float>, nr: Int, into c: UnsafeMutablePointer<Float>, ldc: Int, rows: Int, cols: Int, accumulate: Bool) {
    for r in 0..<rows {
        let (line, partial) = (c + r * ldc, tile + r * nr)
        for j in 0..<cols { line[j] = accumulate ? line[j] + partial[j] : partial[j] }
    }
}
