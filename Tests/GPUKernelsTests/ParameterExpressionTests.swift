import CUDALibraries
import GPUKernels
import Testing

@Suite("parameter expressions")
struct ParameterExpressionTests {
    func value(_ text: String, _ bindings: [String: Double] = [:]) throws -> Double {
        try ParameterExpression(text).evaluate(bindings)
    }

    @Test("arithmetic as Python computes it: precedence, / and //, %, **, unary minus")
    func arithmetic() throws {
        #expect(try value("1 + 2 * 3") == 7)
        #expect(try value("(1 + 2) * 3") == 9)
        #expect(try value("7 / 2") == 3.5)
        #expect(try value("7 // 2") == 3)
        #expect(try value("-7 // 2") == -4)
        #expect(try value("-7 % 3") == 2)  // Python's sign rule
        #expect(try value("2 ** 3 ** 2") == 512)  // right-associative
        #expect(try value("-2 ** 2") == -4)
        #expect(try value("n / (B * T)", ["n": 1000, "B": 128, "T": 2]) == 1000.0 / 256)
        #expect(try value("ceil(n / B) + floor(2.5) + min(3, B) + max(1, 2, 9)", ["n": 1000, "B": 128]) == 8 + 2 + 3 + 9)
    }

    @Test("comparisons chain; and, or, not (and their C spellings) take non-zero as true")
    func logic() throws {
        let b: [String: Double] = ["B": 128, "T": 4]
        #expect(try value("B*T <= 1024", b) == 1)
        #expect(try value("32 <= B <= 64", b) == 0)
        #expect(try value("32 <= B <= 256", b) == 1)
        #expect(try value("B % 32 == 0 and T > 1", b) == 1)
        #expect(try value("B % 32 == 0 && T > 4 || T == 4", b) == 1)
        #expect(try value("not T == 4", b) == 0)
        #expect(try value("!(T != 4)", b) == 1)
        #expect(try ParameterExpression("B < 2 or B >= 128").names == ["B"])
    }

    @Test("a bad expression is refused with the column; an unknown name is named with the known ones")
    func errors() throws {
        for (text, fragment) in [("B * ", "ends early"), ("(B + 1", "\")\" expected"), ("B $ 2", "unexpected \"$\""),
                                 ("sqrt(B)", "unknown function \"sqrt\""), ("1.2.3", "not a number")] {
            do {
                _ = try ParameterExpression(text)
                Issue.record("\"\(text)\" parsed")
            } catch let error as GPUError {
                #expect(error.message.contains(fragment), "\(text): \(error.message)")
                #expect(error.message.contains("column"))
            }
        }
        do {
            _ = try value("B * TILE", ["B": 1])
            Issue.record("an unknown name evaluated")
        } catch let error as GPUError {
            #expect(error.message.contains("unknown name \"TILE\"") && error.message.contains("known: B"))
        }
        #expect(throws: GPUError.self) { try value("B / 0", ["B": 1]) }
    }
}
