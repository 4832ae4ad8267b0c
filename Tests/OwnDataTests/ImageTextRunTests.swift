import Foundation
import Imaging
import OwnDataFixtures
import NN
@testable import OwnData
import Tensors
import Training
import XCTest

/// Training on a manifest end to end: the run learns the quadrant task, writes a bundle that loads back to the
/// same outputs, predicts and draws heatmaps, refuses an output directory that holds another run, and resumes.
final class ImageTextRunTests: XCTestCase {
    private var data: QuadrantData!

    override func setUpWithError() throws { data = try QuadrantData(images: 36) }
    override func tearDown() { data.remove() }

    private func train(_ config: ImageTextModelConfig = QuadrantData.config(), steps: Int = 150, out: String = "run",
                     existing: RunDirectory.Existing = .refuse) throws -> ImageTextRun.Result {
        var training = TrainingConfig()
        training.steps = steps
        training.batchSize = 8
        training.learningRate = 3e-3
        training.checkpointEvery = 50
        training.evalEvery = 50
        training.outputDir = data.url(out).path
        var run = ImageTextRun(model: config, training: training)
        run.cacheRoot = data.url("cache")
        return try run.run(train: data.url("train.jsonl"), val: data.url("val.jsonl"), existing: existing,
                           progress: ProgressReporter(style: .silent), log: { _ in })
    }

    func testTrainsABundleThatLoadsBackPredictsAndDrawsHeatmaps() throws {
        let result = try train()
        let evaluation = try XCTUnwrap(result.evaluation)
        XCTAssertGreaterThan(evaluation.accuracy, 0.9, "\(evaluation)")
        XCTAssertEqual(Set(evaluation.groupTotal.keys), ["red", "green", "blue"])
        for file in ["bundle.json", "model.safetensors", "metrics.jsonl", "evaluation.json", "loss-curve.png", "metrics-curve.png"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: data.url("run/\(file)").path), file)
        }
        let weights = try Safetensors.read(data.url("run/model.safetensors"))
        XCTAssertTrue(weights.keys.contains("fusion.encoder.layers.0.visual_attention.in_proj_weight"), "\(weights.keys.sorted().prefix(5))")
        XCTAssertTrue(weights.keys.contains("image_encoder.layers.1.running_mean"))

        let (bundle, loaded) = try ModelBundle.load(data.url("run"))
        XCTAssertEqual(bundle, result.bundle)
        XCTAssertEqual(bundle.model.labels, QuadrantData.quadrants.sorted())
        let val = try InputPipeline(config: bundle.model, cacheRoot: data.url("cache")).prepare(try Manifest.load(data.url("val.jsonl")))
        result.model.eval()
        let batch = try val.batch(imageIndices: Array(0..<val.imageCount))
        XCTAssertEqual(try loaded(batch).scalars, try Tape.withoutRecording { try result.model(batch) }.scalars)
        XCTAssertEqual(try ImageTextEvaluation(model: loaded, data: val), evaluation)

        let image = try PNG.read(data.url("images/2.png"))  // blue, top left
        let predictor = ImageTextPredictor(model: loaded, cacheRoot: data.url("cache"))
        let answers = try predictor.answer(image: image, text: "where is the blue square?", topK: 3)
        XCTAssertEqual(answers.count, 3)
        XCTAssertEqual(answers[0].label, "top left")
        XCTAssertEqual(answers.map(\.probability), answers.map(\.probability).sorted(by: >))
        XCTAssertEqual(try predictor.attentionMaps(image: image, text: "where is the blue square?").count, 8, "one map per head")
        // Several questions in one forward pass (with attention, through the padded computation) answer as one at a time.
        let questions = try (0..<5).map { (image: try PNG.read(data.url("images/\($0).png")), text: ["where is the red square?", "where?"][$0 % 2]) }
        let batched = try predictor.answer(questions, topK: 4, attention: true)
        for (question, answer) in zip(questions, batched) {
            let alone = try predictor.answer(image: question.image, text: question.text, topK: 4)
            XCTAssertEqual(answer.labels.map(\.label), alone.map(\.label))
            for (a, b) in zip(answer.labels, alone) { XCTAssertEqual(a.probability, b.probability, accuracy: 1e-5) }
            let maps = try predictor.attentionMaps(image: question.image, text: question.text)
            for (a, b) in zip(try XCTUnwrap(answer.attention).joined(), maps.joined()) { XCTAssertEqual(a, b, accuracy: 1e-5) }
        }
        let picture = try predictor.heatmap(image: image, text: "where is the blue square?", caption: "answer: top left")
        XCTAssertEqual(picture.width, 5 * 170 - 10)
        XCTAssertThrowsError(try predictor.match(image: image, texts: ["x"]).count == 1 ? () : ())
    }

    func testOutputDirectoryHoldingAnotherRunIsRefusedUnlessResumedOrOverwritten() throws {
        _ = try train(steps: 20)
        XCTAssertThrowsError(try train(steps: 20)) { error in
            XCTAssertEqual(error as? ImageTextError, .outputHoldsOtherRun(path: data.url("run").path, reason: "already holds a run"))
            XCTAssertTrue("\(error)".contains("pass --resume to continue that run, --overwrite to replace it"))
        }
        XCTAssertThrowsError(try train(QuadrantData.config(fusion: .concat), steps: 20, existing: .resume)) { error in
            XCTAssertEqual(error as? ImageTextError, .outputHoldsOtherRun(
                path: data.url("run").path, reason: "holds a different run (fusion: co-attention there, concat now)"))
        }
        try FileManager.default.createDirectory(at: data.url("other"), withIntermediateDirectories: true)
        try Data("mine".utf8).write(to: data.url("other/notes.txt"))
        XCTAssertThrowsError(try train(steps: 20, out: "other")) { error in
            XCTAssertEqual(error as? ImageTextError, .outputHoldsOtherRun(path: data.url("other").path, reason: "is not empty (and holds no bundle.json)"))
        }
        XCTAssertEqual(try train(QuadrantData.config(fusion: .concat), steps: 20, existing: .overwrite).summary.endStep, 20)
    }

    /// A run killed after its step-100 checkpoint (the later checkpoint and the weights removed) and resumed
    /// gives the uninterrupted run's weights.
    func testResumedRunMatchesAnUninterruptedOne() throws {
        let full = try train(steps: 150, out: "full")
        _ = try train(steps: 150, out: "part")
        let store = CheckpointStore(directory: data.url("part/checkpoints"), keep: 3)
        XCTAssertEqual(store.checkpoints().map(\.step), [150, 100, 50])
        try FileManager.default.removeItem(at: store.url(step: 150))
        try FileManager.default.removeItem(at: data.url("part/model.safetensors"))
        let resumed = try train(steps: 150, out: "part", existing: .resume)
        XCTAssertEqual(resumed.summary.startStep, 100)
        XCTAssertEqual(resumed.model.stateDict().mapValues(\.scalars), full.model.stateDict().mapValues(\.scalars))
        XCTAssertEqual(MetricsLog.read(data.url("part/metrics.jsonl")).map(\.loss), MetricsLog.read(data.url("full/metrics.jsonl")).map(\.loss))
    }
}

/// `--finetune-encoders`: the pretrained encoders become part of the model, gradients reach them, and a bundle
/// of the fine-tuned model loads back with the same outputs.
final class FinetuneTests: XCTestCase {
    func testGradientsReachBothPretrainedEncodersAndTheBundleLoadsBack() throws {
        let data = try QuadrantData(images: 5)
        defer { data.remove() }
        var config = ImageTextModelConfig(task: .classify, fusion: .concat, imageEncoder: .efficientNetLite0, textEncoder: .minilm)
        config.finetuneEncoders = true
        config.width = 16
        let run = ImageTextRun(model: config, training: TrainingConfig())
        let manifest = try Manifest.load(data.url("train.jsonl"))
        config = try run.configured(for: manifest)
        let prepared = try InputPipeline(config: config, cacheRoot: data.url("cache")).prepare(manifest)
        guard case .imageNetPixels = prepared.images, case .tokens = prepared.texts else { return XCTFail("fine-tuning reads pixels and token ids") }
        let model = try ImageTextModel(config: config, efficientNet: try PretrainedEncoders.efficientNet(), bert: try PretrainedEncoders.bert())
        var rng = RandomGenerator(seed: 1)
        let (_, grads) = try valueAndGrad(model) { m in
            try ImageTextLoss.classification(m, data: prepared, imagesPerStep: 2, textsPerImage: 1, using: &rng)
        }
        for prefix in ["image_encoder.", "text_encoder.", "fusion."] {
            let norms = grads.filter { $0.key.hasPrefix(prefix) }.map { $0.value.scalars.map { $0 * $0 }.reduce(0, +) }
            XCTAssertGreaterThan(norms.count, 10, prefix)
            XCTAssertGreaterThan(norms.reduce(0, +), 0, "\(prefix) gets gradients")
        }
        let out = data.url("bundle")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        try ModelBundle(model: config, training: TrainingConfig(), textsPerImage: 1, trainManifest: "t", trainManifestKey: "k", valManifest: nil)
            .write(to: out)
        try ModelBundle.writeWeights(model, to: out)
        let (_, loaded) = try ModelBundle.load(out)
        model.eval()
        let batch = try prepared.batch(imageIndices: [0])
        XCTAssertEqual(try Tape.withoutRecording { try loaded(batch) }.scalars, try Tape.withoutRecording { try model(batch) }.scalars)
    }
}
