import Encoders
import Foundation
import Tensors
import XCTest

/// The tokenizer against Hugging Face `tokenizers` (fast BertTokenizer of all-MiniLM-L6-v2) on the corpus
/// `tools/fixtures/fx_minilm.py` generates: ids, offsets, truncation and padded batches must be identical.
final class WordPieceTokenizerTests: XCTestCase {
    struct Reference: Decodable {
        struct Batch: Decodable {
            let strings: [String]
            let ids: [[Int]]
            let attention_mask: [[Int]]
        }
        let max_length: Int
        let strings: [String]
        let ids: [[Int]]
        let offsets: [[[Int]]]
        let ids_512: [String: [Int]]
        let batch: Batch
    }

    static func reference() throws -> Reference {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/minilm_tokenizer.json")
        return try JSONDecoder().decode(Reference.self, from: Data(contentsOf: url))
    }

    func testIdsAndOffsetsMatchReferenceOnCorpus() throws {
        let ref = try Self.reference()
        XCTAssertGreaterThanOrEqual(ref.strings.count, 200)
        let tokenizer = try miniLMTokenizer()
        XCTAssertEqual(tokenizer.maxLength, ref.max_length)
        var idMismatches = 0, offsetMismatches = 0
        for (i, s) in ref.strings.enumerated() {
            let e = tokenizer.encode(s)
            if e.ids != ref.ids[i] {
                idMismatches += 1
                XCTFail("string \(i) \(s.debugDescription.prefix(120)): ids \(e.ids.prefix(40)) expected \(ref.ids[i].prefix(40))")
                continue
            }
            let offsets = e.offsets.map { [$0.lowerBound, $0.upperBound] }
            if offsets != ref.offsets[i] {
                offsetMismatches += 1
                XCTFail("string \(i) \(s.debugDescription.prefix(120)): offsets \(offsets.prefix(20)) expected \(ref.offsets[i].prefix(20))")
            }
        }
        XCTAssertEqual(idMismatches, 0)
        XCTAssertEqual(offsetMismatches, 0)
    }

    func testTruncationAt512() throws {
        let ref = try Self.reference()
        XCTAssertFalse(ref.ids_512.isEmpty)
        let tokenizer = try miniLMTokenizer().truncating(to: 512)
        for (key, ids) in ref.ids_512 {
            let i = Int(key)!
            XCTAssertEqual(tokenizer.encode(ref.strings[i]).ids, ids, "string \(i)")
            XCTAssertEqual(ref.ids[i].count, 256, "string \(i) is truncated at 256 by default")
        }
    }

    func testPaddedBatchMatchesReference() throws {
        let ref = try Self.reference()
        let tokenizer = try miniLMTokenizer()
        let batch = tokenizer.encodeBatch(ref.batch.strings)
        XCTAssertEqual(batch.ids, ref.batch.ids.flatMap { $0 })
        XCTAssertEqual(batch.attentionMask, ref.batch.attention_mask.flatMap { $0 })
        XCTAssertEqual(batch.length, ref.batch.ids[0].count)
        XCTAssertEqual(batch.paddingMask.values, batch.attentionMask.map { $0 == 0 })
        // The whole corpus in batches of 16: each row is the reference ids padded with [PAD] (id 0), mask 1/0.
        for start in stride(from: 0, to: ref.strings.count, by: 16) {
            let rows = start..<min(start + 16, ref.strings.count)
            let b = tokenizer.encodeBatch(Array(ref.strings[rows]))
            let length = rows.map { ref.ids[$0].count }.max()!
            XCTAssertEqual(b.length, length)
            for (r, i) in rows.enumerated() {
                let pad = length - ref.ids[i].count
                XCTAssertEqual(Array(b.ids[r * length..<(r + 1) * length]), ref.ids[i] + [Int](repeating: 0, count: pad), "string \(i)")
                XCTAssertEqual(Array(b.attentionMask[r * length..<(r + 1) * length]),
                               [Int](repeating: 1, count: ref.ids[i].count) + [Int](repeating: 0, count: pad), "string \(i)")
            }
        }
    }

    func testSmallVocabularyBehaviour() throws {
        let vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "un", "##aff", "##able", "run", "##ning", ",", "!", "中", "cafe"]
        let t = try WordPieceTokenizer(vocabulary: vocab, maxInputCharsPerWord: 10, maxLength: 16)
        // Greedy longest match with ##, [UNK] for a word without a full segmentation, punctuation split,
        // CJK split, accents stripped, lower-cased; truncation keeps [SEP].
        XCTAssertEqual(t.encode("UnAffable running, Café!中x").ids, [2, 4, 5, 6, 7, 8, 9, 12, 10, 11, 1, 3])
        XCTAssertEqual(try t.truncating(to: 8).encode("UnAffable running, Café!中x").ids, [2, 4, 5, 6, 7, 8, 9, 3])
        XCTAssertEqual(t.encode("unaffable runs").ids, [2, 4, 5, 6, 1, 3])
        XCTAssertEqual(t.encode("unaffablerun").ids, [2, 1, 3], "a word over maxInputCharsPerWord is [UNK]")
        XCTAssertEqual(t.encode("run[SEP]x [CLS]").ids, [2, 7, 3, 1, 2, 3], "special tokens in the text are kept")
        XCTAssertEqual(t.encode("").ids, [2, 3])
        XCTAssertEqual(t.encode(" \t\n").ids, [2, 3])
        let e = t.encode("Café running")
        XCTAssertEqual(e.offsets, [0..<0, 0..<4, 5..<8, 8..<12, 0..<0])
        XCTAssertThrowsError(try WordPieceTokenizer(vocabulary: ["a", "b"])) { error in
            XCTAssertTrue("\(error)".contains("[UNK]"), "\(error)")
        }
    }
}
