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

    /// A tensor used by four ops gets the sum of their gradients in the order the backward pass produced them —
    /// the very values repeated adds give, bit for bit — and an intermediate used twice as well.
    func testGradientsOfATensorUsedSeveralTimesAreSummedInOrder() {
        var rng = RandomGenerator(seed: 3)
        let x = Tensor.randn([5, 70_001], using: &rng), w = (0..<4).map { _ in Tensor.randn([5, 70_001], using: &rng) }
        let (_, grads) = valueAndGrad(at: [x]) { xs in
            let h = tanh(xs[0])
            return sum(add(add(mul(h, w[0]), mul(xs[0], w[1])), add(mul(h, w[2]), mul(xs[0], w[3]))))
        }
        let h = tanh(x), dh = mul(add(w[0], w[2]), sub(Tensor(1), mul(h, h)))
        // Backward reaches the ops in reverse: x·w3, h·w2, x·w1, h·w0, then tanh; x's parts: w3, w1, then tanh's.
        let expected = add(add(w[3], w[1]), dh)
        XCTAssertEqual(grads[0].scalars, expected.scalars)
    }
}
