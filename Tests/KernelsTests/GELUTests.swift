import Foundation

@testable import Kernels
import Testing

@Suite("GELU epilogue")
struct GELUTests {
    @Test("the rational tanh stays within 1e-6 of tanh over [-12, 12], and is exactly odd and saturating")
    func fastTanh() {
        var worst = 0.0
        for i in -120_000...120_000 {
            let x = Float(i) / 10_000
            worst = max(worst, abs(Double(Epilogue.fastTanh(x)) - Foundation.tanh(Double(x))))
            #expect(Epilogue.fastTanh(-x) == -Epilogue.fastTanh(x))
        }
        #expect(worst < 1e-6, "largest error \(worst)")
        #expect(Epilogue.fastTanh(30) == Epilogue.fastTanh(8))
        #expect(abs(Epilogue.fastTanh(8) - 1) < 1e-6)
        #expect(Epilogue.fastTanh(0) == 0)
    }
}
