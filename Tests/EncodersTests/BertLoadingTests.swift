import Encoders
import Foundation
import NN
import Tensors
import XCTest

/// config.json parsing, strict loading by original key names, and the model cache's error.
final class BertLoadingTests: XCTestCase {
    let tinyConfig = """
        {"architectures": ["BertModel"], "model_type": "bert", "hidden_act": "gelu_new", "hidden_size": 32,
         "intermediate_size": 48, "layer_norm_eps": 1e-05, "max_position_embeddings": 20, "num_attention_heads": 4,
         "num_hidden_layers": 2, "type_vocab_size": 1, "vocab_size": 50, "position_embedding_type": "absolute"}
        """

    func testReadsMiniLMConfig() throws {
        let config = try BertConfig(contentsOf: miniLMDirectory().appendingPathComponent("config.json"))
        XCTAssertEqual(config, BertConfig(vocabSize: 30522, hiddenSize: 384, layerCount: 6, headCount: 12,
                                          intermediateSize: 1536, maxPositions: 512, typeVocabSize: 2,
                                          layerNormEps: 1e-12, activation: .gelu))
    }

    func testAnotherBertConfigLoadsWithPrefixedCheckpoint() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try tinyConfig.write(to: dir.appendingPathComponent("config.json"), atomically: true, encoding: .utf8)
        let config = try BertConfig(contentsOf: dir.appendingPathComponent("config.json"))
        XCTAssertEqual(config.layerCount, 2)
        XCTAssertEqual(config.activation, .geluTanh)
        XCTAssertEqual(config.layerNormEps, 1e-5)
        Random.seed(3)
        let source = BertModel(config)
        XCTAssertEqual(Set(source.stateDict().keys).count, 5 + 2 * 16 + 2)
        XCTAssertNotNil(source.stateDict()["encoder.layer.1.attention.self.query.weight"])
        // A task checkpoint: `bert.` prefix, a position_ids buffer; no pooler.
        var state = Dictionary(uniqueKeysWithValues: source.stateDict().filter { !$0.key.hasPrefix("pooler") }.map { ("bert.\($0.key)", $0.value) })
        state["bert.embeddings.position_ids"] = Tensor(shape: [1, 20], (0..<20).map(Float.init))
        try Safetensors.write(state, to: dir.appendingPathComponent("model.safetensors"))
        let loaded = try BertModel.load(directory: dir)
        XCTAssertNil(loaded.pooler)
        let ids = [2, 7, 9, 0, 4, 4, 1, 0], mask = Mask.padding(lengths: [3, 4], maxLength: 4)
        XCTAssertEqual(loaded(ids, batch: 2, length: 4, paddingMask: mask).scalars,
                       source(ids, batch: 2, length: 4, paddingMask: mask).scalars)
    }

    func testStrictLoadingNamesBadKeys() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try tinyConfig.write(to: dir.appendingPathComponent("config.json"), atomically: true, encoding: .utf8)
        let config = try BertConfig(contentsOf: dir.appendingPathComponent("config.json"))
        var state = BertModel(config, pooler: false).stateDict()
        state["encoder.layer.0.output.dense.bias"] = nil
        state["cls.predictions.bias"] = Tensor(zeros: [50])
        state["encoder.layer.1.intermediate.dense.weight"] = Tensor(zeros: [48, 31])
        try Safetensors.write(state, to: dir.appendingPathComponent("model.safetensors"))
        XCTAssertThrowsError(try BertModel.load(directory: dir)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("missing keys: encoder.layer.0.output.dense.bias"), text)
            XCTAssertTrue(text.contains("unexpected keys: cls.predictions.bias"), text)
            XCTAssertTrue(text.contains("encoder.layer.1.intermediate.dense.weight: expected shape [48, 32], found [48, 31]"), text)
        }
        state = BertModel(config, pooler: false).stateDict()
        state["embeddings.position_ids"] = Tensor(shape: [1, 3], [0, 2, 1])
        try Safetensors.write(state, to: dir.appendingPathComponent("model.safetensors"))
        XCTAssertThrowsError(try BertModel.load(directory: dir)) { error in
            XCTAssertTrue("\(error)".contains("embeddings.position_ids"), "\(error)")
        }
    }

    func testBadConfigsSayWhatIsWrong() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("config.json")
        let cases = [
            (tinyConfig.replacingOccurrences(of: "\"num_attention_heads\": 4", with: "\"num_attention_heads\": 5"), "not a multiple"),
            (tinyConfig.replacingOccurrences(of: "\"vocab_size\": 50", with: "\"vocab\": 50"), "'vocab_size'"),
            (tinyConfig.replacingOccurrences(of: "gelu_new", with: "swish"), "hidden_act 'swish'"),
            (tinyConfig.replacingOccurrences(of: "\"absolute\"", with: "\"relative_key\""), "relative_key"),
            ("[1, 2]", "expected a JSON object"),
        ]
        for (text, phrase) in cases {
            try text.write(to: url, atomically: true, encoding: .utf8)
            XCTAssertThrowsError(try BertConfig(contentsOf: url)) { error in
                XCTAssertTrue("\(error)".contains(phrase), "\(error) should mention \(phrase)")
            }
        }
    }

    func testMissingModelSaysHowToFetchIt() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        XCTAssertEqual(ModelCache.root(environment: ["CROSSMODAL_CACHE": dir.path]).path, dir.path)
        XCTAssertThrowsError(try SentenceEncoder.miniLM(environment: ["CROSSMODAL_CACHE": dir.path])) { error in
            XCTAssertEqual(error as? EncoderError, .modelMissing(
                directory: dir.appendingPathComponent("models/all-MiniLM-L6-v2").path, file: "config.json",
                fetchCommand: "tools/fetch-models.sh minilm"))
            XCTAssertTrue("\(error)".contains("`tools/fetch-models.sh minilm`"), "\(error)")
        }
    }
}
