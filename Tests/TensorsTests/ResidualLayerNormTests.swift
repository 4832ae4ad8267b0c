import Tensors
import TestSupport
import XCTest

/// The fused residual + LayerNorm equals layerNorm(add(x, residual)) (fixture-checked against PyTorch) in
/// value and every gradient, and passes finite differences.
final class ResidualLayerNormTests: XCTestCase {
    func testMatchesUnfused() {
        var rng = RandomGenerator(seed: 9)
        let x = Tensor.randn([2, 3, 37], using: &rng), r = Tensor.randn([2, 3, 37], using: &rng)
        let w = Tensor.randn([37], using: &rng), b = Tensor.randn([37], using: &rng), gout = Tensor.randn([2, 3, 37], using: &rng)
        let fused = valueAndGrad(at: [x, r, w, b]) { t in sum(mul(layerNorm(t[0], adding: t[1], weight: t[2], bias: t[3]), gout)) }
        let plain = valueAndGrad(at: [x, r, w, b]) { t in sum(mul(layerNorm(add(t[0], t[1]), weight: t[2], bias: t[3]), gout)) }
        assertClose(fused.0, plain.0, "value")
        for i in 0..<4 { assertClose(fused.1[i], plain.1[i], rtol: 1e-5, atol: 1e-5, "gradient \(i)") }
        checkGradientsNumerically([x, r, w, b]) { t in layerNorm(t[0], adding: t[1], weight: t[2], bias: t[3]) }
    }
}
