import Encoders
import Foundation
import Tensors
import TestSupport
import XCTest

/// all-MiniLM-L6-v2 on our engine against sentence-transformers (sentence embeddings) and Hugging Face
/// `BertModel` (last hidden state, pooler output), from `tools/fixtures/fx_minilm.py`.
final class SentenceEncoderTests: XCTestCase {
    struct Sentences: Decodable {
        let sentence_embeddings: [String]
        let hidden_state: [String]
    }

    func sentences() throws -> Sentences {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/minilm_sentences.json")
        return try JSONDecoder().decode(Sentences.self, from: Data(contentsOf: url))
    }

    func testSentenceEmbeddingsMatchSentenceTransformers() throws {
        let fx = try Fixture.load("minilm_encoder")
        let texts = try sentences().sentence_embeddings
        XCTAssertGreaterThanOrEqual(texts.count, 20)
        let encoder = try miniLMEncoder()
        let expected = fx.tensor("sentence_embeddings")
        // All at once (padded to the longest) and in small batches: padding must not change the result.
        for batchSize in [texts.count, 5] {
            var rows: [Tensor] = []
            for start in stride(from: 0, to: texts.count, by: batchSize) {
                rows.append(encoder.encode(Array(texts[start..<min(start + batchSize, texts.count)])).sentenceEmbeddings)
            }
            let got = concat(rows, axis: 0)
            XCTAssertEqual(got.shape, [texts.count, 384])
            var worstCosine: Float = 1, maxError: Float = 0
            for i in 0..<texts.count {
                var dot: Float = 0, na: Float = 0, nb: Float = 0
                for j in 0..<384 {
                    let (a, b) = (got.data[i * 384 + j], expected.data[i * 384 + j])
                    dot += a * b; na += a * a; nb += b * b
                    maxError = max(maxError, abs(a - b))
                }
                worstCosine = min(worstCosine, dot / (na * nb).squareRoot())
            }
            print("MiniLM sentence embeddings (batch \(batchSize)): min cosine \(worstCosine), max abs error \(maxError)")
            XCTAssertGreaterThanOrEqual(worstCosine, 0.99999)
            XCTAssertLessThanOrEqual(maxError, 1e-4)
        }
    }

    func testTokenFeaturesMatchHuggingFaceLastHiddenState() throws {
        let fx = try Fixture.load("minilm_encoder")
        let texts = try sentences().hidden_state
        let encoder = try miniLMEncoder()
        let out = encoder.encode(texts)
        XCTAssertEqual(out.encoding.ids, fx.ints("hidden_ids"))
        XCTAssertEqual(out.encoding.attentionMask, fx.ints("hidden_attention_mask"))
        let expected = fx.tensor("hidden_state")
        XCTAssertEqual(out.tokenFeatures.shape, expected.shape)
        // Every position, padding rows included (they attend to the real tokens, as in Hugging Face).
        var maxError: Float = 0
        for i in 0..<expected.count { maxError = max(maxError, abs(out.tokenFeatures.data[i] - expected.data[i])) }
        print("MiniLM last hidden state \(expected.shape): max abs error \(maxError)")
        XCTAssertLessThanOrEqual(maxError, 1e-4)
        assertClose(encoder.model.pooled(out.tokenFeatures), fx.tensor("pooler_output"), rtol: 0, atol: 1e-4, "pooler output")
        XCTAssertEqual(out.paddingMask.values, fx.ints("hidden_attention_mask").map { $0 == 0 })
    }

    func testEncoderIsFrozenAndRecordsNoTape() throws {
        let encoder = try miniLMEncoder()
        XCTAssertTrue(encoder.model.trainableParameters().isEmpty)
        XCTAssertFalse(encoder.model.isTraining)
        XCTAssertEqual(encoder.model.parameterCount, 22_713_216)
        let probe = Tensor(shape: [1], [1])
        probe.requiresGrad = true
        let (_, grads) = valueAndGrad(at: [probe]) { xs in
            let f = encoder.encode(["inside a differentiated closure"])
            XCTAssertFalse(f.tokenFeatures.requiresGrad)
            return sum(xs[0])
        }
        XCTAssertEqual(grads[0].scalars, [1])
    }
}
