import Encoders
import Foundation
import Tensors
import XCTest

/// The library behind `crossmodal embed-text`: input formats, length bucketing, the safetensors keys.
final class TextEmbeddingTests: XCTestCase {
    func testReadsLinesAndJSONL() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let lines = dir.appendingPathComponent("in.txt")
        try "first line\r\n\nthird 中文\n".write(to: lines, atomically: true, encoding: .utf8)
        XCTAssertEqual(try TextInput.read(lines), ["first line", "", "third 中文"])
        let jsonl = dir.appendingPathComponent("in.jsonl")
        try "{\"text\": \"a\", \"id\": 1}\n\n\"b\"\n{\"caption\": \"c\"}\n".write(to: jsonl, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try TextInput.read(jsonl)) { error in
            XCTAssertTrue("\(error)".contains("in.jsonl:4"), "\(error)")
        }
        try "{\"caption\": \"a\"}\n\"b\"\n".write(to: jsonl, atomically: true, encoding: .utf8)
        XCTAssertEqual(try TextInput.read(jsonl, textKey: "caption"), ["a", "b"])
        XCTAssertEqual(try TextInput.read(jsonl, format: .lines), ["{\"caption\": \"a\"}", "\"b\""])
    }

    func testWritesDocumentedKeysInInputOrder() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let texts = ["A much longer sentence, with several words and some punctuation!", "Short.", "",
                     "我爱自然语言处理。", "Medium length text here."]
        let input = dir.appendingPathComponent("texts.jsonl")
        try texts.map { "{\"text\": \"\($0)\"}" }.joined(separator: "\n").write(to: input, atomically: true, encoding: .utf8)
        let output = dir.appendingPathComponent("out.safetensors")
        let encoder = try miniLMEncoder()
        var progress: [Int] = []
        let count = try TextEmbedding.run(input: input, output: output, encoder: encoder, batchSize: 2) { done, total in
            XCTAssertEqual(total, 5)
            progress.append(done)
        }
        XCTAssertEqual(count, 5)
        XCTAssertEqual(progress.count, 3, "one call per batch")
        XCTAssertEqual(progress, progress.sorted())
        XCTAssertEqual(progress.last, 5)
        let (file, metadata) = try Safetensors.readWithMetadata(output)
        XCTAssertEqual(Set(file.keys), ["sentence_embeddings", "token_features", "attention_mask", "input_ids", "lengths"])
        XCTAssertEqual(metadata["count"], "5")
        let direct = encoder.encode(texts)
        let t = direct.encoding.length
        XCTAssertEqual(file["lengths"]!.scalars.map { Int($0) }, direct.encoding.lengths)
        XCTAssertEqual(file["input_ids"]!.scalars.map { Int($0) }, direct.encoding.ids)
        XCTAssertEqual(file["attention_mask"]!.scalars.map { Int($0) }, direct.encoding.attentionMask)
        XCTAssertEqual(file["token_features"]!.shape, [5, t, 384])
        let embeddings = file["sentence_embeddings"]!
        XCTAssertEqual(embeddings.shape, [5, 384])
        for i in 0..<embeddings.count { XCTAssertEqual(embeddings.data[i], direct.sentenceEmbeddings.data[i], accuracy: 1e-5) }
        let features = file["token_features"]!
        for (b, len) in direct.encoding.lengths.enumerated() {
            for j in 0..<t * 384 {
                let v = features.data[b * t * 384 + j]
                if j < len * 384 {
                    XCTAssertEqual(v, direct.tokenFeatures.data[b * t * 384 + j], accuracy: 1e-4)
                } else if v != 0 {
                    XCTFail("text \(b): padding features must be zero"); break
                }
            }
        }
        let small = TextEmbedding.embed(texts, encoder: encoder, batchSize: 3, tokenFeatures: false)
        XCTAssertNil(small["token_features"])
        XCTAssertEqual(small["sentence_embeddings"]!.shape, [5, 384])
    }
}
