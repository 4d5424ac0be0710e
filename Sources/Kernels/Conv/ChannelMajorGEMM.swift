/// The convolution's product as output channels × pixels (conv2d's layout=kp):
///   C[M x N] (row stride ldc) = A[M x K] · B[K x N] (row stride ldb) + bias[row], activation,
/// with M = a group's output channels, K = its C·R·S and N = pixels. C's rows are then channel
/// planes, so the result lands in NCHW with no transposing scatter, and an unpadded stride-1
/// 1x1 convolution multiplies the input planes in place (no im2col at all). A (the filters,
/// fp32) is packed into MR-row panels once at load; B (the im2col matrix or the input) changes
/// on every call and is read in place (pack_b=0) or packed per KC x NC block (pack_b=1). The
/// loop nest and the micro-kernels are the GEMM's (GEMMDriver).
final class ChannelMajorGEMM: @unchecked Sendable {
    // `@unchecked Sendable`: immutable after init plus per-thread buffers only their thread touches.
    let m: Int, k: Int
    let mr: Int, nr: Int, mc: Int, kc: Int, nc: Int
    let threads: Int
    let splitRows: Bool
    let packB: Bool
    let rowPanelsOuter: Bool
    let epilogue: Epilogue
    let microKernel: MicroKernel
    /// The filters in MR-row panels over all of K: panel p, k-index q at p·K·MR + q·MR.
    private let packedA: FloatBuffer
    private let packedB: [FloatBuffer]
    /// Per thread: a B panel at the right edge packed (zero-padded) so no read passes N.
    private let edgePanels: [FloatBuffer]
    private let scratchTiles: [FloatBuffer]

    /// - Parameter filters: A, row-major [m, k] fp32.
    init(config: KernelConfig, filters: UnsafePointer<Float>, m: Int, k: Int, epilogue: Epilogue) {
        self.m = m
        self.k = k
        mr = config.int("mr") ?? 4
        nr = config.int("nr") ?? 24
        mc = config.int("mc") ?? 144
        kc = config.int("kc") ?? 256
        nc = config.int("nc") ?? 4080
        threads = config.int("threads") ?? 1
        splitRows = config.text("loop") == "m"
        packB = config.int("pack_b") != 0
        rowPanelsOuter = config.text("order") == "ir"
        self.epilogue = epilogue
        microKernel = GEMMDriver.microKernel(mr: mr, nr: nr)
        packedA = FloatBuffer(count: (m + mr - 1) / mr * mr * k)
        Kernels.packA(filters, strides: (row: k, k: 1), rows: 0..<m, k0: 0, kc: k, mr: mr, into: packedA.pointer)
        let kcMax = min(kc, k)
        let (ncMax, edge, tile) = ((nc + nr - 1) / nr * nr * kcMax, nr * kcMax, mr * nr)
        let packedCount = packB ? ncMax : 0
        packedB = (0..<threads).map { _ in FloatBuffer(count: packedCount) }
        edgePanels = (0..<threads).map { _ in FloatBuffer(count: edge) }
        scratchTiles = (0..<threads).map { _ in FloatBuffer(count: tile) }
    }

    /// C = A · B[:, 0 ..< columns] (+ bias per row, activation).
    func run(b: UnsafePointer<Float>, ldb: Int, columns n: Int, bias: UnsafePointer<Float>?, c: UnsafeMutablePointer<Float>, ldc: Int,
             team: ParallelTeam) {
        let (m, threads, splitRows) = (self.m, self.threads, self.splitRows)
        team.run(threads: threads) { index in
            guard index < threads else { return }
            let rows = splitRows ? ParallelTeam.chunk(index, of: threads, count: m, granule: self.mr) : 0..<m
            let columns = splitRows ? 0..<n : ParallelTeam.chunk(index, of: threads, count: n, granule: self.nr)
            guard !rows.isEmpty, !columns.isEmpty else { return }
            self.nest(rows: rows, columns: columns, b: b, ldb: ldb, bias: bias, c: c, ldc: ldc, thread: index)
        }
    }

    private func nest(rows: Range<Int>, columns: Range<Int>, b: UnsafePointer<Float>, ldb: Int, bias: UnsafePointer<Float>?,
                      c: UnsafeMutablePointer<Float>, ldc: Int, thread: Int) {
        let bBuffer = packedB[thread].pointer, edge = edgePanels[thread].pointer, scratch = scratchTiles[thread].pointer
        let a = packedA.pointer
        for jc in stride(from: columns.lowerBound, to: columns.upperBound, by: nc) {
            let ncCur = min(nc, columns.upperBound - jc)
            for pc in stride(from: 0, to: k, by: kc) {
                let kcCur = min(kc, k - pc)
                let last = pc + kcCur == k
                if packB { packPanels(b, ldb: ldb, k0: pc, kc: kcCur, n0: jc, nc: ncCur, into: bBuffer) }
                for ic in stride(from: rows.lowerBound, to: rows.upperBound, by: mc) {
                    let mcCur = min(mc, rows.upperBound - ic)
                    func tileStep(_ jr: Int, _ ir: Int) {
                        let (nrCur, mrCur) = (min(nr, ncCur - jr), min(mr, mcCur - ir))
                        let bPanel: UnsafePointer<Float>
                        let bStride: Int
                        if packB {
                            (bPanel, bStride) = (UnsafePointer(bBuffer + jr * kcCur), nr)
                        } else if nrCur == nr {
                            (bPanel, bStride) = (b + pc * ldb + jc + jr, ldb)
                        } else {
                            packPanels(b, ldb: ldb, k0: pc, kc: kcCur, n0: jc + jr, nc: nrCur, into: edge)
                            (bPanel, bStride) = (UnsafePointer(edge), nr)
                        }
                        // Rows of A are packed from row 0, so panel (ic + ir) / mr starts there
                        // (ic and ir are multiples of mr: thread chunks have granule mr).
                        let aPanel = UnsafePointer(a + (ic + ir) / mr * k * mr + pc * mr)
                        let tile = c + (ic + ir) * ldc + jc + jr
                        if mrCur == mr && nrCur == nr {
                            microKernel(Int64(kcCur), aPanel, 1, Int64(mr), bPanel, Int64(bStride), tile, Int64(ldc), pc > 0 ? 1 : 0)
                        } else {
                            microKernel(Int64(kcCur), aPanel, 1, Int64(mr), bPanel, Int64(bStride), scratch, Int64(nr), 0)
                            storePartialTile(scratch, nr: nr, into: tile, ldc: ldc, rows: mrCur, cols: nrCur, accumulate: pc > 0)
                        }
                        if last, epilogue != .none {
                            epilogue.applyRows(tile, ldc: ldc, rows: mrCur, cols: nrCur, row: ic + ir, bias: bias)
                        }
                    }
                    forEachTile(rows: mcCur, columns: ncCur, mr: mr, nr: nr, rowPanelsOuter: rowPanelsOuter, tileStep)
                }
            }
        }
    }

    /// Rows k0 ..< k0 + kc, columns n0 ..< n0 + nc of B into NR-column panels, zero-padded.
    private func packPanels(_ b: UnsafePointer<Float>, ldb: Int, k0: Int, kc: Int, n0: Int, nc: Int, into out: UnsafeMutablePointer<Float>) {
        for panel in stride(from: 0, to: nc, by: nr) {
            let width = min(nr, nc - panel)
            let base = out + panel * kc
            for q in 0..<kc {
                let (destination, source) = (base + q * nr, b + (k0 + q) * ldb + n0 + panel)
                destination.update(from: source, count: width)
                if width < nr { (destination + width).update(repeating: 0, count: nr - width) }
            }
        }
    }
}
