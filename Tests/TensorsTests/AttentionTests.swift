import Tensors
import TestSupport
import XCTest

/// Fused scaled-dot-product attention against torch.nn.functional.scaled_dot_product_attention
/// (fixtures: B 2, H 3, D 4, Dv 2, packed [B, L, H·D]) and finite differences.
final class AttentionTests: XCTestCase {
    private func mask(_ fx: [String: Tensor], _ key: String) -> Mask? {
        fx[key].map { Mask(shape: $0.shape, fx.bools(key)) }
    }

    /// Runs the op as a fixture describes it (masks `padding`, `blocked`, `additive`; scale 0.3 for `additive`).
    private func attend(_ x: [Tensor], _ fx: [String: Tensor], returnWeights: Bool = false) -> (output: Tensor, weights: Tensor?) {
        let attentionMask: AttentionMask? = mask(fx, "blocked").map { .bool($0) } ?? fx["additive"].map { .additive($0) }
        return scaledDotProductAttention(
            query: x[0], key: x[1], value: x[2], heads: 3, keyPaddingMask: mask(fx, "padding"),
            attentionMask: attentionMask, scale: fx["additive"] == nil ? nil : 0.3, returnWeights: returnWeights)
    }

    func testMatchesPyTorch() throws {
        for name in ["attention_plain", "attention_padding", "attention_causal", "attention_additive"] {
            try checkOp(name) { x, fx in attend(x, fx).output }
            let fx = try Fixture.load(name)
            let x = [fx.tensor("x0"), fx.tensor("x1"), fx.tensor("x2")]
            let r = attend(x, fx, returnWeights: true)
            assertClose(r.weights!, fx.tensor("weights"), "\(name) weights")
        }
    }

    /// A query whose keys are all masked gets zero weights, zero output and zero gradient. PyTorch 2.13's
    /// F.scaled_dot_product_attention does the same (the fixture has every row); nn.MultiheadAttention with
    /// need_weights=True and older PyTorch give NaN there (pytorch#41508), a deliberate difference.
    func testFullyMaskedQueryRowIsZero() throws {
        try checkOp("attention_masked_row") { x, fx in attend(x, fx).output }
        let fx = try Fixture.load("attention_masked_row")
        let x = [fx.tensor("x0"), fx.tensor("x1"), fx.tensor("x2")]
        let (out, weights) = attend(x, fx, returnWeights: true)
        assertClose(weights!, fx.tensor("weights"), "weights")
        let (_, dq) = valueAndGrad(at: [x[0]]) { xs in sum(attend([xs[0], x[1], x[2]], fx).output) }
        for b in 0..<2 {
            for j in 0..<6 { XCTAssertEqual(out.data[(b * 4 + 2) * 6 + j], 0, "output of masked row, item \(b)") }
            for j in 0..<12 { XCTAssertEqual(dq[0].data[(b * 4 + 2) * 12 + j], 0, "gradient of masked query, item \(b)") }
            for h in 0..<3 { for j in 0..<5 { XCTAssertEqual(weights!.data[((b * 3 + h) * 4 + 2) * 5 + j], 0) } }
        }
    }

    func testFiniteDifferences() {
        var rng = RandomGenerator(seed: 3)
        let q = Tensor.randn([2, 3, 4], using: &rng), k = Tensor.randn([2, 5, 4], using: &rng)
        let v = Tensor.randn([2, 5, 6], using: &rng)
        let padding = Mask.padding(lengths: [5, 2], maxLength: 5)
        let additive = Tensor.randn([3, 5], using: &rng)
        checkGradientsNumerically([q, k, v]) { x in
            scaledDotProductAttention(query: x[0], key: x[1], value: x[2], heads: 2).output
        }
        checkGradientsNumerically([q, k, v]) { x in
            scaledDotProductAttention(query: x[0], key: x[1], value: x[2], heads: 2, keyPaddingMask: padding,
                                      attentionMask: .additive(additive), scale: 0.7).output
        }
        checkGradientsNumerically([q, k, v]) { x in
            var g = RandomGenerator(seed: 5)
            return scaledDotProductAttention(query: x[0], key: x[1], value: x[2], heads: 2, keyPaddingMask: padding,
                                             dropout: 0.3, generator: &g).output
        }
        // One (batch, head) task: runs in order with multi-threaded BLAS.
        checkGradientsNumerically([slice(q, axis: 0, 0..<1), slice(k, axis: 0, 0..<1), slice(v, axis: 0, 0..<1)]) { x in
            scaledDotProductAttention(query: x[0], key: x[1], value: x[2], heads: 1, attentionMask: .additive(additive)).output
        }
        let qkv = Tensor.randn([2, 4, 12], using: &rng), kv = Tensor.randn([2, 5, 8], using: &rng)
        checkGradientsNumerically([qkv]) { x in
            var g = RandomGenerator(seed: 5)
            return scaledDotProductAttention(packedQKV: x[0], heads: 2, attentionMask: .bool(.causal(4)), generator: &g).output
        }
        checkGradientsNumerically([q, kv]) { x in
            var g = RandomGenerator(seed: 5)
            return scaledDotProductAttention(query: x[0], packedKeyValue: x[1], heads: 2, keyPaddingMask: padding, generator: &g).output
        }
    }

    /// The packed forms read Q, K, V in place: same output and (concatenated) gradients as separate tensors.
    func testPackedFormsMatchSeparateTensors() {
        var rng = RandomGenerator(seed: 4), g = RandomGenerator(seed: 0)
        let qkv = Tensor.randn([3, 6, 24], using: &rng), gout = Tensor.randn([3, 6, 8], using: &rng)
        let padding = Mask.padding(lengths: [6, 1, 4], maxLength: 6)
        let separate = valueAndGrad(at: [qkv]) { x in
            let (q, k, v) = (slice(x[0], axis: 2, 0..<8), slice(x[0], axis: 2, 8..<16), slice(x[0], axis: 2, 16..<24))
            return sum(mul(scaledDotProductAttention(query: q, key: k, value: v, heads: 4, keyPaddingMask: padding).output, gout))
        }
        let packed = valueAndGrad(at: [qkv]) { x in
            sum(mul(scaledDotProductAttention(packedQKV: x[0], heads: 4, keyPaddingMask: padding, generator: &g).output, gout))
        }
        let crossPacked = valueAndGrad(at: [qkv]) { x in
            let q = slice(x[0], axis: 2, 0..<8), kv = slice(x[0], axis: 2, 8..<24)
            return sum(mul(scaledDotProductAttention(query: q, packedKeyValue: kv, heads: 4, keyPaddingMask: padding,
                                                     generator: &g).output, gout))
        }
        for other in [packed, crossPacked] {
            assertClose(other.0, separate.0, "value")
            assertClose(other.1[0], separate.1[0], "gradient")
        }
    }

    /// A per-head mask [H, Lq, Lk] is the per-task mask [B·H, Lq, Lk] that repeats it for every batch item
    /// (which the PyTorch fixtures check): same output, weights and gradients, additive and boolean.
    func testPerHeadMaskEqualsItsRepetitionPerBatchItem() {
        var rng = RandomGenerator(seed: 7)
        let (b, h, lq, lk) = (3, 2, 4, 5)
        let q = Tensor.randn([b, lq, 6], using: &rng), k = Tensor.randn([b, lk, 6], using: &rng), v = Tensor.randn([b, lk, 4], using: &rng)
        let gout = Tensor.randn([b, lq, 4], using: &rng)
        let bias = Tensor.randn([h, lq, lk], using: &rng)
        for i in 0..<lq { bias.mutableData[(1 * lq + i) * lk + i] = -.infinity }
        let blocked = Mask(shape: [h, lq, lk], (0..<(h * lq * lk)).map { $0 % 3 == 1 })
        let repeated = { (t: Tensor) in Tensor(shape: [b * h, lq, lk], Array((0..<b).map { _ in t.scalars }.joined())) }
        let blockedRepeated = Mask(shape: [b * h, lq, lk], Array((0..<b).map { _ in blocked.values }.joined()))
        for (perHead, perTask) in [(AttentionMask.additive(bias), AttentionMask.additive(repeated(bias))),
                                   (.bool(blocked), .bool(blockedRepeated))] {
            func run(_ mask: AttentionMask) -> (Tensor, [Tensor], Tensor) {
                var weights: Tensor?
                let (value, grads) = valueAndGrad(at: [q, k, v]) { x in
                    let r = scaledDotProductAttention(query: x[0], key: x[1], value: x[2], heads: h, attentionMask: mask, returnWeights: true)
                    weights = r.weights
                    return sum(mul(r.output, gout))
                }
                return (value, grads, weights!)
            }
            let (a, c) = (run(perHead), run(perTask))
            XCTAssertEqual(a.0.scalars, c.0.scalars)
            XCTAssertEqual(a.2.scalars, c.2.scalars, "weights")
            for (x, y) in zip(a.1, c.1) { XCTAssertEqual(x.scalars, y.scalars, "gradient") }
        }
    }

    /// With V = I per head the output row is the dropped weight row: each entry is 0 or w/(1−p),
    /// about p of them are 0, and the returned weights are the pre-dropout ones (rows sum to 1).
    func testDropoutZeroesAndRescalesWeights() {
        let (b, h, l, p): (Int, Int, Int, Float) = (4, 4, 32, 0.25)
        var rng = RandomGenerator(seed: 9)
        let q = Tensor.randn([b, l, h * 8], using: &rng), k = Tensor.randn([b, l, h * 8], using: &rng)
        let v = Tensor(zeros: [b, l, h * l])
        for bi in 0..<b { for hi in 0..<h { for j in 0..<l { v.mutableData[(bi * l + j) * h * l + hi * l + j] = 1 } } }
        var g1 = RandomGenerator(seed: 11), g2 = RandomGenerator(seed: 11)
        let r = scaledDotProductAttention(query: q, key: k, value: v, heads: h, dropout: p, generator: &g1, returnWeights: true)
        let again = scaledDotProductAttention(query: q, key: k, value: v, heads: h, dropout: p, generator: &g2)
        XCTAssertEqual(r.output.scalars, again.output.scalars, "same seed, same dropout mask")
        let w = r.weights!
        var zeros = 0
        for bi in 0..<b {
            for hi in 0..<h {
                for i in 0..<l {
                    var rowSum: Float = 0
                    for j in 0..<l {
                        let weight = w.data[((bi * h + hi) * l + i) * l + j], o = r.output.data[(bi * l + i) * h * l + hi * l + j]
                        rowSum += weight
                        if o == 0 { zeros += 1 } else { XCTAssertEqual(o, weight / (1 - p), accuracy: 1e-6) }
                    }
                    XCTAssertEqual(rowSum, 1, accuracy: 1e-5)
                }
            }
        }
        let fraction = Float(zeros) / Float(b * h * l * l)
        XCTAssertEqual(fraction, p, accuracy: 0.03, "dropped fraction")
        let evalRun = scaledDotProductAttention(query: q, key: k, value: v, heads: h, generator: &g1)
        var g3 = RandomGenerator(seed: 11)
        _ = scaledDotProductAttention(query: q, key: k, value: v, heads: h, dropout: p, generator: &g3)
        XCTAssertEqual(g1.next(), g3.next(), "no dropout draws nothing from the generator")
        XCTAssertFalse(evalRun.output.scalars.contains(0))
    }
}
