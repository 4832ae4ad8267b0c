@testable import Tensors
import XCTest

/// The tape tells each source's gradient as soon as every op that used it has been differentiated: once per
/// source, equal to the gradient returned at the end, the last-used source first, a source used twice only after
/// its earlier use, an unused one at once (zeros).
final class TapeTests: XCTestCase {
    func testReadyGradientsAreFinalAndComeAsSoonAsTheirLastUseIsDifferentiated() {
        let a = Tensor(shape: [3], [1, 2, 3]), b = Tensor(shape: [3], [4, 5, 6]), c = Tensor(shape: [3], [7, 8, 9]), unused = Tensor(shape: [2], [1, 1])
        for x in [a, b, c, unused] { x.requiresGrad = true }
        var told: [(Int, [Float])] = []
        // a is used twice (first and last op), b once with a, c in between: backward finishes c first, then a and
        // b together at the first op.
        let (value, grads) = Tape.valueAndGradients(wrt: [a, b, c, unused], ready: { told.append(($0, $1.scalars)) }) {
            let ab = mul(a, b)
            let abc = add(ab, c)
            return sum(mul(abc, a), axes: [0])
        }
        let expected: Float = 11 * 1 + 18 * 2 + 27 * 3  // (a·b + c)·a summed
        XCTAssertEqual(value.scalars, [expected])
        XCTAssertEqual(told.map(\.0), [3, 2, 0, 1], "unused at once, then c, then a and b as backward finishes them")
        for (i, g) in told { XCTAssertEqual(g, grads[i].scalars, "source \(i)") }
        let expectedA: [Float] = [15, 28, 45]  // d/da of (a·b + c)·a = 2ab + c
        XCTAssertEqual(grads[0].scalars, expectedA)
        XCTAssertEqual(grads[3].scalars, [0, 0])
    }
}
