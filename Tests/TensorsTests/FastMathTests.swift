import Foundation
@testable import Tensors
import XCTest

/// The branch-free kernels against Float64 libm over their whole range.
final class FastMathTests: XCTestCase {
    func testFastExpIsWithinThreeUlp() {
        var worst = 0.0
        for i in 0...175_000 {
            let x = Float(-87 + Double(i) * 1e-3)
            let ref = Foundation.exp(Double(x))
            worst = max(worst, abs(Double(fastExp(x)) - ref) / ref)
        }
        XCTAssertLessThan(worst, 3 * 1.19e-7, "max relative error \(worst)")
    }

    func testNonFiniteInputsPropagateLikeLibm() {
        XCTAssertTrue(fastExp(.nan).isNaN)
        XCTAssertTrue(gelu(Tensor(.nan)).item.isNaN, "NaN in, NaN out (as torch.gelu), never a trap")
        XCTAssertEqual(fastExp(-.infinity), Foundation.exp(-87), accuracy: 1e-40)
        XCTAssertTrue(gelu(Tensor(-.infinity)).item.isNaN, "torch.gelu(-inf) is nan too")
    }

    func testGeluMatchesExactFormWithinFixtureTolerance() {
        var worstAbs = 0.0, worstExcess = -1.0
        for i in 0...400_000 {
            let x = Float(-20 + Double(i) * 1e-4)
            let ref = 0.5 * Double(x) * (1 + Foundation.erf(Double(x) / 2.0.squareRoot()))
            let err = abs(Double(gelu(Tensor(x)).item) - ref)
            worstAbs = max(worstAbs, err)
            worstExcess = max(worstExcess, err - (1e-6 + 1e-5 * abs(ref)))
        }
        print("gelu (erf form): max abs error \(worstAbs) on [-20, 20]")
        XCTAssertLessThan(worstAbs, 5e-7)
        XCTAssertLessThan(worstExcess, 0)
    }
}
