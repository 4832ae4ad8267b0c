import Tensors
import XCTest

/// The per-op profile: each recorded op kind with its calls, forward and backward times, and the summing of
/// gradients of a tensor used twice; nothing collected outside `measure`.
final class OpProfileTests: XCTestCase {
    func testEveryRecordedOpIsCountedForwardAndBackward() {
        var rng = RandomGenerator(seed: 0)
        let x = Tensor.randn([64, 32], using: &rng), w = Tensor.randn([32, 16], using: &rng)
        let profile = OpProfile()
        _ = profile.measure {
            valueAndGrad(at: [x, w]) { t in
                let h = relu(matmul(t[0], t[1]))
                return sum(add(h, h))
            }
        }
        XCTAssertEqual(Set(profile.forward.keys), ["matmul", "relu", "add", "sum"])
        XCTAssertEqual(Set(profile.backward.keys), ["matmul", "relu", "add", "sum", "gradient accumulation"])
        for op in ["matmul", "relu", "add", "sum"] {
            XCTAssertEqual(profile.forward[op]?.calls, 1, op)
            XCTAssertEqual(profile.backward[op]?.calls, 1, op)
            XCTAssertGreaterThan(profile.backward[op]?.seconds ?? 0, 0, op)
        }
        XCTAssertEqual(profile.backward["gradient accumulation"]?.calls, 1, "h is used twice by add")
        _ = valueAndGrad(at: [x]) { t in sum(relu(t[0])) }
        XCTAssertEqual(profile.forward["relu"]?.calls, 1, "nothing is collected outside measure")
    }
}
