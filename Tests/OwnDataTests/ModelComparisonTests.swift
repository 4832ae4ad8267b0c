import Foundation
import Imaging
import OwnDataFixtures
import OwnData
import Training
import XCTest

/// Several models on the same data, one bundle each: records from the runs' metrics, `results.json` and the
/// charts, resumable, heatmaps captioned with the model's answer.
final class ModelComparisonTests: XCTestCase {
    func testTrainsEachModelIntoItsBundleAndWritesResultsCurvesAndHeatmaps() throws {
        let data = try QuadrantData(images: 12)
        defer { data.remove() }
        let (train, val) = (try Manifest.load(data.url("train.jsonl")), try Manifest.load(data.url("val.jsonl")))
        var training = TrainingConfig()
        (training.steps, training.batchSize, training.evalEvery) = (4, 4, 2)
        let runs = [ImageTextModelConfig.Fusion.concat, .crossAttention].map { fusion -> (name: String, run: ImageTextRun) in
            var run = ImageTextRun(model: QuadrantData.config(fusion: fusion), training: training)
            run.cacheRoot = data.url("cache")
            return (fusion.rawValue, run)
        }
        let out = data.url("comparison")
        let curve = ModelComparison.Curve(title: "red accuracy", metric: "group:red", file: "red-curves.png")
        var started: [String] = [], finished: [String] = []
        let records = try ModelComparison.run(runs, train: train, val: val, out: out, existing: .refuse, curves: [curve], log: { _ in },
                                              starting: { started.append($0) }) { record, result in
            finished.append(record.model)
            XCTAssertEqual(record.metrics, result.metrics)
            guard record.model == "cross-attention" else { return }
            try ModelComparison.writeHeatmaps(ImageTextPredictor(model: result.model, cacheRoot: data.url("cache")),
                                              examples: Array(val.entries.prefix(1)), name: "attention-\(record.model)", to: out)
        }
        XCTAssertEqual(started, ["concat", "cross-attention"])
        XCTAssertEqual(finished, started)
        for record in records {
            XCTAssertEqual(record.losses.map { $0[0] }, [1, 2, 3, 4])
            XCTAssertEqual(record.evaluations.map { $0["step"] }, [2, 4])
            XCTAssertNotNil(record.evaluations.last?["group:red"])
            XCTAssertEqual(try ModelBundle.load(URL(fileURLWithPath: record.bundle)).bundle.model.fusion.rawValue, record.model)
            XCTAssertEqual(record.secondsUntil(0, metric: "accuracy"), record.evaluations[0]["seconds"])
            XCTAssertNil(record.secondsUntil(2, metric: "accuracy"))
        }
        for file in ["results.json", "loss-curves.png", "red-curves.png", "attention-cross-attention-0.png"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: out.appendingPathComponent(file).path), file)
        }
        let decoded = try JSONDecoder().decode([ModelComparison.Record].self, from: Data(contentsOf: out.appendingPathComponent("results.json")))
        XCTAssertEqual(decoded.map(\.model), ["concat", "cross-attention"])
        XCTAssertThrowsError(try ModelComparison.run(runs, train: train, val: val, out: out, existing: .refuse, curves: [], log: { _ in }) { _, _ in })
        let resumed = try ModelComparison.run(runs, train: train, val: val, out: out, existing: .resume, curves: [], log: { _ in }) { _, _ in }
        XCTAssertEqual(resumed.map(\.metrics), records.map(\.metrics), "a finished comparison resumes to the same figures")
    }
}
