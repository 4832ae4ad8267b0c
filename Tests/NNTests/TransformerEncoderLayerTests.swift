import NN
import Tensors
import TestSupport
import XCTest

/// TransformerEncoderLayer against PyTorch nn.TransformerEncoderLayer(16, 4, 32, batch_first) in eval mode,
/// post-norm (relu) and pre-norm (gelu, causal mask), with a key padding mask: output and every gradient.
final class TransformerEncoderLayerTests: XCTestCase {
    private func check(_ name: String, normFirst: Bool, activation: TransformerEncoderLayer.Activation) throws {
        let fx = try Fixture.load(name)
        let layer = TransformerEncoderLayer(16, heads: 4, feedForwardDim: 32, dropout: 0.1, activation: activation, normFirst: normFirst)
        var state: [String: Tensor] = [:]
        for (key, value) in fx where key.hasPrefix("param.") { state[String(key.dropFirst("param.".count))] = value }
        try layer.loadStateDict(state)
        layer.eval()
        let padding = Mask(shape: fx.tensor("padding").shape, fx.bools("padding"))
        let attentionMask = fx["blocked"].map { AttentionMask.bool(Mask($0)) }
        let src = fx.tensor("src"), gout = fx.tensor("gout")
        assertClose(layer(src, keyPaddingMask: padding, attentionMask: attentionMask), fx.tensor("out"), "\(name) output")

        let (_, grads) = valueAndGrad(layer) { m in sum(mul(m(src, keyPaddingMask: padding, attentionMask: attentionMask), gout)) }
        XCTAssertEqual(Set(grads.keys), Set(state.keys))
        for (key, g) in grads {
            assertClose(g, fx.tensor("grad.\(key)"), rtol: 1e-4, atol: 1e-5, "\(name) gradient of \(key)")
        }
        let (_, gsrc) = valueAndGrad(at: [src]) { x in sum(mul(layer(x[0], keyPaddingMask: padding, attentionMask: attentionMask), gout)) }
        assertClose(gsrc[0], fx.tensor("grad.src"), rtol: 1e-4, atol: 1e-5, "\(name) gradient of src")
    }

    func testPostNormMatchesPyTorch() throws {
        try check("transformer_post_norm", normFirst: false, activation: .relu)
    }

    func testPreNormMatchesPyTorch() throws {
        try check("transformer_pre_norm", normFirst: true, activation: .gelu)
    }

    /// PyTorch's state_dict keys; dropout acts only in training mode.
    func testKeysAndTrainingMode() {
        Random.seed(0)
        let layer = TransformerEncoderLayer(8, heads: 2, feedForwardDim: 16, dropout: 0.5)
        XCTAssertEqual(layer.namedParameters().map(\.key), [
            "self_attn.in_proj_weight", "self_attn.in_proj_bias", "self_attn.out_proj.weight", "self_attn.out_proj.bias",
            "linear1.weight", "linear1.bias", "linear2.weight", "linear2.bias",
            "norm1.weight", "norm1.bias", "norm2.weight", "norm2.bias",
        ])
        let x = Tensor.randn([2, 5, 8], using: &Random.generator)
        layer.eval()
        let evalOut = layer(x).scalars
        XCTAssertEqual(layer(x).scalars, evalOut)
        layer.train()
        XCTAssertTrue(layer.selfAttn.isTraining && layer.dropout1.isTraining)
        XCTAssertNotEqual(layer(x).scalars, evalOut)
    }
}
