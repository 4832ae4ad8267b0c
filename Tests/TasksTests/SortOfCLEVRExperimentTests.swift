import Encoders
import Foundation
import Imaging
import NN
import Tasks
import Tensors
import Training
import XCTest

/// The Sort-of-CLEVR models, evaluation, experiment runner and report, at a tiny size.
final class SortOfCLEVRExperimentTests: XCTestCase {
    private let train = SortOfCLEVRDataset.generate(count: 6, seed: 1, split: .train)
    private let test = SortOfCLEVRDataset.generate(count: 3, seed: 1, split: .test)

    func testEveryModelKindAnswersEveryQuestionOfABatch() throws {
        let batch = train.batch(imageIndices: [0, 2])
        for kind in SortOfCLEVRModel.Kind.allCases {
            Random.seed(0)
            let model = SortOfCLEVRModel(kind: kind, width: 16, vocabularySize: train.vocabulary.words.count, maxTokens: train.maxTokens)
            let logits = try model(batch)
            XCTAssertEqual(logits.shape, [40, SortOfCLEVRAnswer.allCases.count], "\(kind)")
            XCTAssertEqual(try model.attention(batch) != nil, kind == .crossAttention || kind == .coAttention)
            XCTAssertTrue(model.namedParameters().map(\.key).contains("cnn.layers.0.weight"))
        }
    }

    func testSubsampledBatchesDrawDistinctQuestionsOfEachImage() {
        var rng = RandomGenerator(seed: 5)
        let batch = train.batch(imageIndices: [3, 1], questionsPerImage: 4, using: &rng)
        XCTAssertEqual(batch.images.shape[0], 2)
        XCTAssertEqual(batch.imageOfQuestion, [0, 0, 0, 0, 1, 1, 1, 1])
        let own = Set(train.questionsOfImage[3].map { train.questions[$0].text })
        XCTAssertEqual(Set(batch.texts.prefix(4)).count, 4, "without replacement")
        XCTAssertTrue(batch.texts.prefix(4).allSatisfy(own.contains))
        XCTAssertEqual(train.batch(imageIndices: [3]).count, 20, "all questions by default")
    }

    func testEvaluationCountsEveryTestQuestionOnce() throws {
        Random.seed(0)
        let model = SortOfCLEVRModel(kind: .concat, width: 8, vocabularySize: test.vocabulary.words.count, maxTokens: test.maxTokens)
        let e = try SortOfCLEVREvaluation(model: model, dataset: test, imagesPerBatch: 2)
        XCTAssertEqual(e.total.values.reduce(0, +), test.questions.count)
        XCTAssertTrue((0...1).contains(e.relational) && (0...1).contains(e.nonRelational))
        XCTAssertTrue(model.isTraining, "evaluation restores the mode")
    }

    func testExperimentTrainsResumesAndReports() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("soc-\(UUID())")
        defer { try? FileManager.default.removeItem(at: dir) }
        var config = TrainingConfig()
        config.steps = 4
        config.evalEvery = 2
        config.checkpointEvery = 2
        config.outputDir = dir.path
        var experiment = SortOfCLEVRExperiment(train: train, test: test, config: config)
        experiment.imagesPerStep = 2
        experiment.width = 8
        let run = try experiment.run(.crossAttention, progress: ProgressReporter(style: .silent))
        XCTAssertEqual(run.losses.count, 4)
        XCTAssertEqual(run.evaluations.map { $0[0] }, [2, 4])
        XCTAssertEqual(run.evaluation.total.values.reduce(0, +), test.questions.count)
        XCTAssertNotNil(run.checkpoint)
        try SortOfCLEVRReport.write([run], to: dir)
        for file in ["results.json", "loss-curves.png", "relational-curves.png", "non-relational-curves.png"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: dir.appendingPathComponent(file).path), file)
        }
        let decoded = try JSONDecoder().decode([SortOfCLEVRRun].self, from: Data(contentsOf: dir.appendingPathComponent("results.json")))
        XCTAssertEqual(decoded.first?.evaluation, run.evaluation)
        let table = SortOfCLEVRReport.table([run])
        XCTAssertTrue(table.contains("cross-attention") && table.contains("relational"), table)
        XCTAssertTrue(table.contains(" horizontal   vertical    closest"), "question kinds in separate columns: \(table)")
        var timed = run  // time to a target: the first evaluation at or above it
        timed.evaluations = [[2, 10, 0.5, 0.96], [4, 20, 0.92, 0.99]]
        XCTAssertEqual(timed.secondsUntil(0.95, relational: false), 10)
        XCTAssertEqual(timed.secondsUntil(0.90, relational: true), 20)
        XCTAssertNil(timed.secondsUntil(0.95, relational: true))
        XCTAssertTrue(SortOfCLEVRReport.table([timed]).hasSuffix("10        20         —"), SortOfCLEVRReport.table([timed]))
        let model = experiment.makeModel(.crossAttention)
        try model.loadStateDict(Checkpoint.load(from: URL(fileURLWithPath: run.checkpoint!)).model)
        let files = try SortOfCLEVRReport.writeHeatmaps(model: model, dataset: test, questions: [0, 15], to: dir)
        XCTAssertEqual(files.map(\.lastPathComponent), ["attention-cross-attention-0.png", "attention-cross-attention-1.png"])
        let heatmap = try PNG.read(files[0])
        XCTAssertEqual(heatmap.width, 630)
    }

    func testFrozenMiniLMReadsTheQuestionsInsteadOfTheLearnedEncoder() throws {
        let frozen = FrozenTextFeatures(encoder: try SentenceEncoder.miniLM(), texts: SortOfCLEVR.allQuestionTexts)
        XCTAssertEqual(frozen.dimension, 384)
        XCTAssertEqual(frozen.table.shape[0], 36, "6 kinds × 6 colours")
        Random.seed(0)
        let model = SortOfCLEVRModel(kind: .crossAttention, width: 16, vocabularySize: train.vocabulary.words.count,
                                     maxTokens: train.maxTokens, frozenText: frozen)
        XCTAssertNil(model.questionEncoder)
        XCTAssertFalse(model.namedParameters().contains { $0.key.hasPrefix("question_encoder.") })
        XCTAssertEqual(model.fusion.textDim, 384)
        let batch = train.batch(imageIndices: [0])
        let (loss, grads) = try valueAndGrad(model) { m in crossEntropy(try m(batch), targets: batch.answers) }
        XCTAssertTrue(loss.item.isFinite)
        XCTAssertNotNil(grads["fusion.text_projector.projection.0.weight"])
        XCTAssertThrowsError(try frozen(["What is this?"])) { error in
            XCTAssertEqual(error as? SortOfCLEVRError, .unknownText("What is this?"))
        }
    }
}
