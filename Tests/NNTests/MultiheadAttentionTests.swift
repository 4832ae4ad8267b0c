import NN
import Tensors
import TestSupport
import XCTest

/// MultiheadAttention against PyTorch nn.MultiheadAttention(16, 4, dropout 0.1, batch_first) in eval mode:
/// outputs, weights (averaged and per head), parameter and input gradients.
final class MultiheadAttentionTests: XCTestCase {
    /// The fixture's module (state dict loaded, eval mode) and tensors.
    private func load(_ name: String) throws -> (MultiheadAttention, [String: Tensor]) {
        let fx = try Fixture.load(name)
        let mha = MultiheadAttention(embedDim: 16, heads: 4, dropout: 0.1)
        var state: [String: Tensor] = [:]
        for (key, value) in fx where key.hasPrefix("param.") { state[String(key.dropFirst("param.".count))] = value }
        try mha.loadStateDict(state)
        mha.eval()
        return (mha, fx)
    }

    private func mask(_ fx: [String: Tensor], _ key: String) -> Mask? {
        fx[key].map { Mask(shape: $0.shape, fx.bools(key)) }
    }

    /// Compares everything in fixture `name`; `key`/`value` absent from the fixture mean "the same tensor
    /// object as query/key". `validItems` limits the weight comparison (PyTorch gives NaN elsewhere).
    private func check(_ name: String, validItems: Range<Int>? = nil, file: StaticString = #filePath, line: UInt = #line) throws {
        let (mha, fx) = try load(name)
        let query = fx.tensor("query")
        let key = fx["key"] ?? query
        let value = fx["value"] ?? key
        let padding = mask(fx, "padding"), attentionMask = mask(fx, "blocked").map { AttentionMask.bool($0) }
        let run = { (q: Tensor, k: Tensor, v: Tensor, average: Bool) in
            mha(q, k, v, keyPaddingMask: padding, attentionMask: attentionMask, needWeights: true, averageAttentionWeights: average)
        }
        let (out, weights) = run(query, key, value, true)
        let perHead = run(query, key, value, false).weights!
        assertClose(out, fx.tensor("out"), "\(name) output", file: file, line: line)
        let items = validItems ?? 0..<query.shape[0]
        assertClose(slice(weights!, axis: 0, items), slice(fx.tensor("weights"), axis: 0, items), "\(name) weights", file: file, line: line)
        assertClose(slice(perHead, axis: 0, items), slice(fx.tensor("weights_per_head"), axis: 0, items),
                    "\(name) per-head weights", file: file, line: line)

        let gout = fx.tensor("gout")
        let (_, grads) = valueAndGrad(mha) { m in sum(mul(run(query, key, value, true).output, gout)) }
        XCTAssertEqual(Set(grads.keys), ["in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias"], file: file, line: line)
        for (k, g) in grads {
            assertClose(g, fx.tensor("grad.\(k)"), rtol: 1e-4, atol: 1e-5, "\(name) gradient of \(k)", file: file, line: line)
        }
        // Input gradients, with the fixture's aliasing (self-attention: one tensor, its gradients summed).
        let leaves = ["query", "key", "value"].compactMap { n in fx[n].map { (n, Tensor(shape: $0.shape, storage: $0.storage, requiresGrad: true)) } }
        let q = leaves[0].1, k = leaves.first { $0.0 == "key" }?.1 ?? q, v = leaves.first { $0.0 == "value" }?.1 ?? k
        let inputGrads = Tape.valueAndGradients(wrt: leaves.map(\.1)) { sum(mul(run(q, k, v, true).output, gout)) }.gradients
        for ((n, _), g) in zip(leaves, inputGrads) {
            assertClose(g, fx.tensor("grad.\(n)"), rtol: 1e-4, atol: 1e-5, "\(name) gradient of \(n)", file: file, line: line)
        }
    }

    /// (a) Cross-attention, Lq ≠ Lk, separate key and value tensors, key padding mask.
    func testCrossAttentionWithPaddingMatchesPyTorch() throws { try check("mha_cross") }

    /// (b) Self-attention (one input tensor: one in-projection GEMM) with a causal mask.
    func testSelfAttentionWithCausalMaskMatchesPyTorch() throws { try check("mha_self_causal") }

    /// (c) Key-is-value cross-attention where every key of batch item 1 is masked. PyTorch's
    /// need_weights=True path gives NaN for that item; its need_weights=False path (the fixture's output and
    /// gradients) gives a zero attention output, so the layer outputs out_proj.bias, as ours does.
    /// Our weights for that item are zero (deliberate difference from PyTorch's NaN).
    func testFullyMaskedItemIsFiniteAndMatchesPyTorchElsewhere() throws {
        try check("mha_masked_item", validItems: 0..<1)
        let (mha, fx) = try load("mha_masked_item")
        XCTAssertTrue(slice(fx.tensor("weights"), axis: 0, 1..<2).scalars.allSatisfy(\.isNaN), "PyTorch weights are NaN")
        let memory = fx.tensor("key")
        let (out, weights) = mha(fx.tensor("query"), memory, memory, keyPaddingMask: mask(fx, "padding"), needWeights: true)
        XCTAssertEqual(slice(weights!, axis: 0, 1..<2).scalars, [Float](repeating: 0, count: 12))
        let bias = mha.outProj.bias!.scalars
        XCTAssertEqual(slice(out, axis: 0, 1..<2).scalars, Array([[Float]](repeating: bias, count: 3).joined()))
    }

    /// The three projection paths (one tensor, key-is-value, three tensors) compute the same thing.
    func testProjectionPathsAgree() {
        Random.seed(3)
        let mha = MultiheadAttention(embedDim: 8, heads: 2)
        let x = Tensor.randn([2, 5, 8], using: &Random.generator), m = Tensor.randn([2, 4, 8], using: &Random.generator)
        let padding = Mask.padding(lengths: [3, 4], maxLength: 4)
        func value(_ f: (MultiheadAttention) -> Tensor) -> (Tensor, [String: Tensor]) {
            let r = valueAndGrad(mha) { m in sum(mul(f(m), f(m))) }
            return (r.value, r.gradients)
        }
        let pairs = [
            (value { $0(x, x, x).output }, value { $0(x, x.copy(), x.copy()).output }),
            (value { $0(x, m, m, keyPaddingMask: padding).output }, value { $0(x, m, m.copy(), keyPaddingMask: padding).output }),
        ]
        for (fused, separate) in pairs {
            assertClose(fused.0, separate.0, rtol: 1e-5, "value")
            for (k, g) in separate.1 { assertClose(fused.1[k]!, g, rtol: 1e-4, atol: 1e-6, k) }
        }
    }

    /// A `scale` s is the default attention with the query projection multiplied by s·√(head width), on all
    /// three projection paths: the same outputs, weights and input gradients; nil is 1/√(head width).
    func testScaleEqualsScaledQueries() throws {
        Random.seed(5)
        let (e, heads, s): (Int, Int, Float) = (8, 2, 0.9)
        let scaled = MultiheadAttention(embedDim: e, heads: heads, scale: s)
        let plain = MultiheadAttention(embedDim: e, heads: heads)
        var state = scaled.stateDict()
        let factor = s * Float(e / heads).squareRoot()
        state["in_proj_bias"] = Tensor.randn([3 * e], using: &Random.generator)
        try scaled.loadStateDict(state)
        state["in_proj_weight"] = Tensor(shape: [3 * e, e], state["in_proj_weight"]!.scalars.enumerated().map { $0 < e * e ? $1 * factor : $1 })
        state["in_proj_bias"] = Tensor(shape: [3 * e], state["in_proj_bias"]!.scalars.enumerated().map { $0 < e ? $1 * factor : $1 })
        try plain.loadStateDict(state)
        XCTAssertNil(plain.scale)
        let x = Tensor.randn([2, 5, e], using: &Random.generator), m = Tensor.randn([2, 4, e], using: &Random.generator)
        let padding = Mask.padding(lengths: [3, 4], maxLength: 4)
        typealias Path = (MultiheadAttention, Tensor, Tensor) -> (output: Tensor, weights: Tensor?)
        let selfAttention: Path = { mha, q, _ in mha(q, q, q, needWeights: true) }
        let keyIsValue: Path = { mha, q, k in mha(q, k, k, keyPaddingMask: padding, needWeights: true) }
        let threeTensors: Path = { mha, q, k in mha(q, k, k.copy(), keyPaddingMask: padding, needWeights: true) }
        let paths = [("self", selfAttention), ("key is value", keyIsValue), ("three tensors", threeTensors)]
        for (name, path) in paths {
            let a = path(scaled, x, m), b = path(plain, x, m)
            assertClose(a.output, b.output, rtol: 1e-5, atol: 1e-6, "\(name) output")
            assertClose(a.weights!, b.weights!, rtol: 1e-5, atol: 1e-6, "\(name) weights")
            let gradients = [scaled, plain].map { mha in
                let leaves = [x, m].map { Tensor(shape: $0.shape, storage: $0.storage, requiresGrad: true) }
                return Tape.valueAndGradients(wrt: leaves) { let o = path(mha, leaves[0], leaves[1]).output; return sum(mul(o, o)) }.gradients
            }
            for (i, n) in ["query", "key"].enumerated() where name != "self" || i == 0 {
                assertClose(gradients[0][i], gradients[1][i], rtol: 1e-4, atol: 1e-6, "\(name) \(n) gradient")
            }
        }
        try plain.loadStateDict(scaled.stateDict())
        XCTAssertNotEqual(plain(x, m, m).output.scalars, scaled(x, m, m).output.scalars, "the scale changes the attention")
    }

    /// PyTorch's keys and `_reset_parameters` init: xavier-uniform in_proj_weight, zero biases.
    func testKeysAndInit() {
        Random.seed(0)
        let mha = MultiheadAttention(embedDim: 64, heads: 8, dropout: 0.1)
        XCTAssertEqual(mha.namedParameters().map(\.key), ["in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias"])
        XCTAssertEqual(mha.inProjWeight.shape, [192, 64])
        XCTAssertEqual(mha.inProjBias!.scalars, [Float](repeating: 0, count: 192))
        XCTAssertEqual(mha.outProj.bias!.scalars, [Float](repeating: 0, count: 64))
        let bound = (6 / Float(64 + 192)).squareRoot(), w = mha.inProjWeight.scalars
        XCTAssertTrue(w.allSatisfy { abs($0) <= bound })
        let std = (w.reduce(0) { $0 + $1 * $1 } / Float(w.count)).squareRoot()
        XCTAssertEqual(std, bound / Float(3).squareRoot(), accuracy: 0.02 * bound)
        XCTAssertEqual(MultiheadAttention(embedDim: 8, heads: 2, bias: false).namedParameters().map(\.key),
                       ["in_proj_weight", "out_proj.weight"])
    }

    /// Dropout acts on the attention weights in training mode only, drawing from `Random.generator`.
    func testDropoutOnlyInTraining() {
        Random.seed(1)
        let mha = MultiheadAttention(embedDim: 8, heads: 2, dropout: 0.5)
        let x = Tensor.randn([2, 6, 8], using: &Random.generator)
        mha.eval()
        let evalOut = mha(x, x, x).output.scalars
        XCTAssertEqual(mha(x, x, x).output.scalars, evalOut)
        mha.train()
        Random.seed(7)
        let trained = mha(x, x, x).output.scalars
        Random.seed(7)
        XCTAssertEqual(mha(x, x, x).output.scalars, trained, "same seed, same dropout")
        XCTAssertNotEqual(trained, evalOut)
    }
}
