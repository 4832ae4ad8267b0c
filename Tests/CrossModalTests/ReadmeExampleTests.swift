import CrossModal
import Foundation
import NN
import Optim
import Tensors
import XCTest

/// The README's library example, run at a small size (keep the two in step).
final class ReadmeExampleTests: XCTestCase {
    func testReadmeExampleTrains() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("readme-\(UUID()).safetensors")
        defer { try? FileManager.default.removeItem(at: file) }
        Random.seed(0)
        var rng = RandomGenerator(seed: 1)
        let (b, regions, tokens) = (4, 5, 6)
        let visualFeatures = Tensor.randn([b, regions, 24], using: &rng), textFeatures = Tensor.randn([b, tokens, 16], using: &rng)
        let lengths = [6, 3, 1, 4], labels = [0, 1, 2, 1]
        try Safetensors.write(
            CrossAttentionFusion(visualDim: 24, textDim: 16, width: 32, heads: 8, kind: .crossAttention(.shared), dropout: 0.1, classes: 3).stateDict(),
            to: file)

        // — README example, from here —
        let model = CrossAttentionFusion(visualDim: 24, textDim: 16, width: 32, heads: 8,
                                         kind: .crossAttention(.shared), dropout: 0.1, classes: 3)
        try model.loadStateDict(Safetensors.read(file))
        let batch = FusionBatch(visual: visualFeatures, text: textFeatures,
                                textPaddingMask: Mask.padding(lengths: lengths, maxLength: tokens))
        let optimizer = AdamW(parameters: model, learningRate: 1e-3)
        var losses: [Float] = []
        for _ in 0..<10 {
            var (loss, grads) = try valueAndGrad(model) { m in crossEntropy(try m(batch), targets: labels) }
            try clipGradNorm(&grads, maxNorm: 1.0)
            optimizer.step(grads)
            losses.append(loss.item)
        }
        // — to here —
        XCTAssertLessThan(losses.last!, losses.first!)
    }
}
