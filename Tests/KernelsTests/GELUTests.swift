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

    @Test("the rational erf stays within 1e-6 of erf over [-8, 8]; exact GELU within 2e-6 relative of its double form")
    func fastErf() {
        var worst = 0.0, worstGELU = 0.0
        for i in -80_000...80_000 {
            let x = Float(i) / 10_000
            worst = max(worst, abs(Double(Epilogue.fastErf(x)) - Foundation.erf(Double(x))))
            #expect(Epilogue.fastErf(-x) == -Epilogue.fastErf(x))
            let exact = Epilogue(activation: .geluErf).activate(Double(x))
            worstGELU = max(worstGELU, abs(Double(Epilogue.geluErf(x)) - exact) / max(1, abs(exact)))
        }
        #expect(worst < 1e-6, "largest error \(worst)")
        #expect(worstGELU < 2e-6, "largest GELU error \(worstGELU)")
        #expect(Epilogue.fastErf(0) == 0 && abs(Epilogue.fastErf(10) - 1) < 1e-6)
        #expect(Epilogue.activate(7.5, .relu6) == 6 && Epilogue.activate(-1, .relu6) == 0 && Epilogue.activate(2, .relu6) == 2)
    }

    @Test("the fast exp stays within 4e-7 relative of exp over [-87, 88]; NaN stays NaN, large values clamp")
    func fastExp() {
        var worst = 0.0
        for i in -870_000...880_000 {
            let x = Float(i) / 10_000
            let exact = Foundation.exp(Double(x))
            worst = max(worst, abs(Double(Epilogue.fastExp(x)) - exact) / exact)
        }
        #expect(worst < 4e-7, "largest relative error \(worst)")
        #expect(Epilogue.fastExp(.nan).isNaN && Epilogue.fastExp(1000).isFinite && Epilogue.fastExp(-1000) == 0 && Epilogue.fastExp(-87.3) > 0)
        #expect(Epilogue.fastExp(0) == 1)
    }
}
