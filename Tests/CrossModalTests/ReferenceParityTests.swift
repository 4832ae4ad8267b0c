import CrossModal
import NN
import Optim
import Tensors
import TestSupport
import XCTest

/// Parity with the field report's PyTorch reference module (tools/fixtures/fx_crossmodal.py).
final class ReferenceParityTests: XCTestCase {
    private func params(_ fx: [String: Tensor], prefix: String) -> [String: Tensor] {
        Dictionary(uniqueKeysWithValues: fx.filter { $0.key.hasPrefix(prefix) }.map { (String($0.key.dropFirst(prefix.count)), $0.value) })
    }

    /// Loads fixture `name` into `layer` (eval mode) and checks both outputs of `run(visual, text)`, every
    /// parameter gradient (same keys as PyTorch) and both input gradients.
    private func checkLayer(_ layer: Module, fixture name: String,
                            _ run: (Tensor, Tensor, [String: Tensor]) -> CrossModalAttentionOutput) throws {
        let fx = try Fixture.load(name)
        try layer.loadStateDict(params(fx, prefix: "param."))
        layer.eval()
        let visual = fx.tensor("visual").copy(), text = fx.tensor("text").copy()
        visual.requiresGrad = true
        text.requiresGrad = true
        let named = layer.trainableParameters()
        var outputs: CrossModalAttentionOutput?
        let r = Tape.valueAndGradients(wrt: named.map(\.tensor) + [visual, text]) {
            let out = run(visual, text, fx)
            outputs = out
            return add(sum(mul(out.visual, fx.tensor("gout_visual"))), sum(mul(out.text, fx.tensor("gout_text"))))
        }
        assertClose(outputs!.visual, fx.tensor("out_visual"), rtol: 1e-5, atol: 1e-5, "visual output")
        assertClose(outputs!.text, fx.tensor("out_text"), rtol: 1e-5, atol: 1e-5, "text output")
        XCTAssertEqual(Set(named.map(\.key)), Set(params(fx, prefix: "grad.").keys), "same parameter keys as PyTorch")
        for (p, g) in zip(named, r.gradients) {
            assertClose(g, fx.tensor("grad.\(p.key)"), rtol: 1e-4, atol: 1e-5, "grad \(p.key)")
        }
        assertClose(r.gradients[named.count], fx.tensor("grad_visual"), rtol: 1e-4, atol: 1e-5, "grad visual")
        assertClose(r.gradients[named.count + 1], fx.tensor("grad_text"), rtol: 1e-4, atol: 1e-5, "grad text")
    }

    func testSharedModeMatchesReferenceOutputsAndEveryGradient() throws {
        let model = CrossModalAttention(hiddenDim: 16, heads: 8, dropout: 0.1, weights: .shared)
        try checkLayer(model, fixture: "reference_cross_attention") { visual, text, _ in model(visual: visual, text: text) }
    }

    /// The ViLBERT-style co-attentional layer against PyTorch, with padding in both streams.
    func testCoTransformerLayerMatchesPyTorch() throws {
        let layer = CoTransformerLayer(width: 16, heads: 4, feedForwardDim: 32, dropout: 0)
        try checkLayer(layer, fixture: "co_transformer_layer") { visual, text, fx in
            let textMask = Mask.padding(lengths: fx.tensor("text_lengths").scalars.map { Int($0) }, maxLength: 4)
            let visualMask = Mask.padding(lengths: fx.tensor("visual_lengths").scalars.map { Int($0) }, maxLength: 5)
            return layer(visual: visual, text: text, visualPaddingMask: visualMask, textPaddingMask: textMask, returnWeights: false)
        }
    }

    private func seedModel(_ fx: [String: Tensor]) throws -> (CrossAttentionFusion, FusionBatch, [Int]) {
        let model = CrossAttentionFusion(
            visualDim: 12, textDim: 10, width: 16, heads: 8, layers: 1, kind: .crossAttention(.shared),
            dropout: 0, classes: 5)
        try model.loadStateDict(params(fx, prefix: "param."))
        let batch = FusionBatch(
            visual: fx.tensor("visual"), text: fx.tensor("text"),
            textPaddingMask: Mask.padding(lengths: fx.ints("text_lengths"), maxLength: 5))
        return (model, batch, fx.ints("labels"))
    }

    func testSeedModelLogitsAndGradientsMatchPyTorch() throws {
        let fx = try Fixture.load("seed_model_training")
        let (model, batch, labels) = try seedModel(fx)
        let (_, grads) = try valueAndGrad(model) { m in crossEntropy(try m(batch), targets: labels) }
        assertClose(try model(batch), fx.tensor("logits"), rtol: 1e-5, atol: 1e-5, "logits")
        XCTAssertEqual(Set(grads.keys), Set(params(fx, prefix: "grad.").keys))
        for (key, g) in grads { assertClose(g, fx.tensor("grad.\(key)"), rtol: 1e-4, atol: 1e-5, "grad \(key)") }
    }

    func testTwentyTrainingStepsFollowPyTorchLossCurve() throws {
        let fx = try Fixture.load("seed_model_training")
        let (model, batch, labels) = try seedModel(fx)
        let optimizer = AdamW(parameters: model, learningRate: 1e-2, weightDecay: 0.01)
        let losses = fx.tensor("losses").scalars, norms = fx.tensor("norms").scalars
        for step in 0..<20 {
            var (loss, grads) = try valueAndGrad(model) { m in crossEntropy(try m(batch), targets: labels) }
            let norm = try clipGradNorm(&grads, maxNorm: 1.0)
            optimizer.step(grads)
            XCTAssertEqual(loss.item, losses[step], accuracy: 1e-4, "loss at step \(step)")
            XCTAssertEqual(norm, norms[step], accuracy: 1e-4 * max(1, norms[step]), "pre-clip norm at step \(step)")
        }
        for (key, t) in model.stateDict() {
            var actual = t, expected = fx.tensor("final.\(key)")
            if key.hasSuffix("in_proj_bias") {
                // The key bias (elements 16..<32) has a gradient of exactly zero in exact arithmetic (softmax is
                // shift-invariant), ~1e-9 of rounding noise in both engines; AdamW divides that noise by its own
                // magnitude and turns it into ±lr steps of arbitrary sign. Compare the query and value biases.
                actual = concat([slice(t, axis: 0, 0..<16), slice(t, axis: 0, 32..<48)], axis: 0)
                expected = concat([slice(expected, axis: 0, 0..<16), slice(expected, axis: 0, 32..<48)], axis: 0)
            }
            assertClose(actual, expected, rtol: 1e-4, atol: 1e-4, "\(key) after 20 steps")
        }
    }
}
