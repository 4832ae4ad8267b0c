import Foundation
import Imaging
import OwnDataFixtures
@testable import OwnData
import Training
import XCTest

/// Bad input on the way from a manifest to a model: missing and broken images (stop naming the line, or skip
/// and count), labels validation has that training lacks, texts longer than the encoder.
final class InputPipelineTests: XCTestCase {
    private var data: QuadrantData!

    override func setUpWithError() throws { data = try QuadrantData(images: 12) }
    override func tearDown() { data.remove() }

    /// A pipeline configured for the training manifest.
    private func pipeline() throws -> InputPipeline {
        let run = ImageTextRun(model: QuadrantData.config(), training: TrainingConfig())
        return InputPipeline(config: try run.configured(for: try Manifest.load(data.url("train.jsonl"))), cacheRoot: data.url("cache"))
    }

    func testMissingAndTruncatedImagesNameTheLineOrAreSkippedAndCounted() throws {
        let png = try Data(contentsOf: data.url("images/0.png"))
        try png.prefix(png.count / 2).write(to: data.url("images/cut.png"))
        try Data("hello".utf8).write(to: data.url("images/text.png"))
        let good = #"{"image": "images/0.png", "text": "where is the red square?", "label": "top left"}"#
        for (image, reason) in [("images/nope.png", "cannot read image"), ("images/cut.png", "not a valid PNG"), ("images/text.png", "neither a PNG nor a JPEG")] {
            try data.write("bad.jsonl", [good, good.replacingOccurrences(of: "images/0.png", with: image)])
            let manifest = try Manifest.load(data.url("bad.jsonl"))
            let p = try pipeline()
            XCTAssertThrowsError(try p.prepare(manifest)) { error in
                guard case let .badImage(path, line, name, why)? = error as? ManifestError else { return XCTFail("\(error)") }
                XCTAssertEqual([path, name], [data.url("bad.jsonl").path, image])
                XCTAssertEqual(line, 2)
                XCTAssertTrue(why.contains(reason), why)
                XCTAssertTrue("\(error)".contains("pass --skip-bad to skip such lines"), "\(error)")
            }
            var logged: [String] = []
            p.log = { logged.append($0) }
            let prepared = try p.prepare(manifest, skipBad: true)
            XCTAssertEqual(prepared.count, 1)
            XCTAssertEqual(prepared.skipped, 1)
            XCTAssertEqual(logged, ["skipped 1 examples of 1 unreadable images in bad.jsonl"])
        }
        try data.write("allbad.jsonl", [good.replacingOccurrences(of: "images/0.png", with: "images/nope.png")])
        XCTAssertThrowsError(try pipeline().prepare(try Manifest.load(data.url("allbad.jsonl")), skipBad: true)) { error in
            XCTAssertEqual(error as? ManifestError, .nothingLeft(path: data.url("allbad.jsonl").path, skipped: 1))
        }
    }

    func testUnseenValidationLabelsAreCountedAsWrongNotCrashedOn() throws {
        let val = #"{"image": "images/0.png", "text": "where is the red square?", "label": "in the middle"}"#
        try data.write("odd.jsonl", [val])
        let p = try pipeline()
        let prepared = try p.prepare(try Manifest.load(data.url("odd.jsonl")))
        XCTAssertEqual(prepared.labels, [-1])
        let model = try ImageTextModel(config: p.config)
        let evaluation = try ImageTextEvaluation(model: model, data: prepared)
        XCTAssertEqual(evaluation.unseenLabels, ["in the middle": 1])
        XCTAssertEqual(evaluation.accuracy, 0)
    }

    func testTextsLongerThanTheEncoderAreTruncatedAndCounted() throws {
        var run = ImageTextRun(model: QuadrantData.config(), training: TrainingConfig())
        run.maxLearnedTokens = 4
        let manifest = try Manifest.load(data.url("train.jsonl"))
        let config = try run.configured(for: manifest)
        XCTAssertEqual(config.maxTokens, 4)
        var logged: [String] = []
        let prepared = try InputPipeline(config: config, cacheRoot: data.url("cache"), log: { logged.append($0) }).prepare(manifest)
        XCTAssertEqual(prepared.truncated, manifest.entries.count, "every question is 6 tokens")
        XCTAssertTrue(logged.contains("truncated \(manifest.entries.count) of \(manifest.entries.count) texts in train.jsonl to the text encoder's 4 tokens"), "\(logged)")
    }

    /// MiniLM's WordPiece keeps [CLS] and [SEP]: a text is counted as truncated only when words were dropped.
    func testMiniLMTruncationCountsOnlyTextsThatLostWords() throws {
        var config = ImageTextModelConfig(task: .match, fusion: .dualEncoder, imageEncoder: .efficientNetLite0, textEncoder: .minilm)
        config.maxTokens = 5
        let p = InputPipeline(config: config, cacheRoot: data.url("cache"))
        XCTAssertEqual(try p.tokenize("red square").ids.count, 4)
        XCTAssertFalse(try p.tokenize("red square").truncated)
        XCTAssertFalse(try p.tokenize("one red square  ").truncated, "exactly full")
        XCTAssertTrue(try p.tokenize("one red square above").truncated)
        XCTAssertEqual(try p.tokenize("one red square above").ids.count, 5)
    }

    /// `minilm-clauses`: a text's features are its comma-separated clauses' features, each clause encoded on its
    /// own, one after another; a new text of known clauses needs no encoder run.
    func testClauseFeaturesAreEachClausesFeaturesInOrder() throws {
        let config = ImageTextModelConfig(task: .match, fusion: .dualEncoder, imageEncoder: .smallCNN, textEncoder: .minilmClauses)
        XCTAssertEqual(InputPipeline.clauses(" a sneaker above a bag,an ankle boot below a coat , "), ["a sneaker above a bag", "an ankle boot below a coat"])
        XCTAssertEqual(InputPipeline.clauses("no clauses here"), ["no clauses here"])
        var logged: [String] = []
        let p = InputPipeline(config: config, cacheRoot: data.url("cache"), log: { logged.append($0) })
        guard case let .features(alone) = try p.texts(["a sneaker above a bag", "an ankle boot below a coat"]),
              case let .features(joined) = try p.texts(["an ankle boot below a coat, a sneaker above a bag"]) else { return XCTFail("features expected") }
        XCTAssertEqual(joined[0].shape, [alone[0].shape[0] + alone[1].shape[0], 384])
        XCTAssertEqual(joined[0].scalars, alone[1].scalars + alone[0].scalars)
        XCTAssertEqual(logged.count, 1, "the second text's clauses were already known: \(logged)")
        let fresh = InputPipeline(config: config, cacheRoot: data.url("cache"))
        guard case let .features(direct) = try fresh.batch(images: [RGBImage(width: 24, height: 24)], texts: [["an ankle boot below a coat, a sneaker above a bag"]])
            .text else { return XCTFail("features expected") }
        XCTAssertEqual(direct.shape, [1] + joined[0].shape)
        XCTAssertEqual(direct.scalars, joined[0].scalars, "prediction encodes the same way")
        var finetuned = config
        finetuned.finetuneEncoders = true
        XCTAssertThrowsError(try finetuned.validate()) { XCTAssertTrue("\($0)".contains("cannot be fine-tuned"), "\($0)") }
    }

    /// A manifest's frozen MiniLM token features are read from shards, one row per distinct text: its batches
    /// hold what encoding each text on its own gives (to rounding), with the same padding mask; a second run
    /// computes nothing.
    func testManifestTextFeaturesComeFromShardsOneRowPerDistinctText() throws {
        var config = ImageTextModelConfig(task: .match, fusion: .dualEncoder, imageEncoder: .smallCNN, textEncoder: .minilm)
        config.maxTokens = 16
        let texts = ["a red square", "where is the blue circle in the picture?", "a red square", "green"]
        try data.write("texts.jsonl", texts.indices.map { #"{"image": "images/\#($0).png", "text": "\#(texts[$0])"}"# })
        var logged: [String] = []
        let prepared = try InputPipeline(config: config, cacheRoot: data.url("cache"), log: { logged.append($0) }).prepare(try Manifest.load(data.url("texts.jsonl")))
        guard case let .featureShards(shards, rows, lengths) = prepared.texts else { return XCTFail("shards expected, got \(prepared.texts)") }
        XCTAssertEqual(rows, [0, 1, 0, 2])
        XCTAssertEqual(shards.count, 3)
        XCTAssertEqual(shards.rowShape, [lengths.max()!, 384])
        XCTAssertTrue(logged.contains { $0.hasPrefix("text features: 3 computed with MiniLM") }, "\(logged)")

        let batch = try prepared.batch(imageIndices: [3, 1, 0])
        guard case let .features(read) = batch.text else { return XCTFail("features expected") }
        let alone = InputPipeline(config: config, cacheRoot: data.url("cache"))
        for (r, text) in ["green", "where is the blue circle in the picture?", "a red square"].enumerated() {
            guard case let .features(direct) = try alone.batch(images: [RGBImage(width: 24, height: 24)], texts: [[text]]).text else { return XCTFail() }
            let (t, d) = (read.shape[1], 384), length = direct.shape[1]
            XCTAssertEqual(batch.textMask.values[(r * t)..<((r + 1) * t)].filter { !$0 }.count, length, text)
            let got = Array(read.scalars[(r * t * d)..<(r * t * d + length * d)])
            XCTAssertLessThanOrEqual(zip(got, direct.scalars).map { abs($0 - $1) }.max()!, 1e-4, text)
            XCTAssertTrue(read.scalars[(r * t * d + length * d)..<((r + 1) * t * d)].allSatisfy { $0 == 0 }, "\(text): padding is zero")
        }
        logged = []
        _ = try InputPipeline(config: config, cacheRoot: data.url("cache"), log: { logged.append($0) }).prepare(try Manifest.load(data.url("texts.jsonl")))
        XCTAssertFalse(logged.contains { $0.contains("computed with MiniLM") }, "\(logged)")
    }

    func testClassificationNeedsALabelOnEveryLine() throws {
        try data.write("nolabel.jsonl", [#"{"image": "images/0.png", "text": "a", "label": "x"}"#, #"{"image": "images/1.png", "text": "b"}"#])
        let run = ImageTextRun(model: QuadrantData.config(), training: TrainingConfig())
        XCTAssertThrowsError(try run.configured(for: try Manifest.load(data.url("nolabel.jsonl")))) { error in
            XCTAssertEqual(error as? ManifestError, .missingField(path: data.url("nolabel.jsonl").path, line: 2, field: "label"))
        }
        var dual = QuadrantData.config(fusion: .dualEncoder)
        dual.labels = ["a", "b"]
        XCTAssertThrowsError(try dual.validate()) { XCTAssertTrue("\($0)".contains("use --task match"), "\($0)") }
    }
}
