import Encoders
import Foundation
import Imaging
import NN
@testable import Tasks
import Tensors
import Training
import XCTest

/// Fashion scenes: captions and hard negatives, rendering, the real Fashion-MNIST files, the models' losses
/// and pair scores, evaluation, the report, and the feature cache (real encoders, tiny counts).
final class FashionScenesTests: XCTestCase {
    /// A fake Fashion-MNIST: 20 images of 2×2 pixels, image i of class i % 10 filled with value i.
    let tiny = FashionMNIST(images: IDX(shape: [20, 2, 2], bytes: (0..<20).flatMap { [UInt8](repeating: UInt8($0), count: 4) }),
                            labels: (0..<20).map { $0 % 10 })

    func testCaptionsAreTrueAndHardNegativesFalse() {
        let scenes = FashionScene.generate(count: 500, from: tiny, seed: 3)
        var pairings = Set<[Int]>()
        for s in scenes {
            XCTAssertEqual(Set(s.labels).count, 4)
            XCTAssertEqual(s.items.map { tiny.labels[$0] }, s.labels)
            XCTAssertEqual(Set(s.caption.articles), Set(s.labels), "the caption names all four articles")
            XCTAssertTrue(s.caption.holds(in: s.labels), s.caption.text)
            XCTAssertFalse(s.swappedPositions.holds(in: s.labels), s.swappedPositions.text)
            XCTAssertEqual(Set(s.swappedPositions.articles), Set(s.labels), "positions swapped, same articles")
            XCTAssertFalse(s.swappedItems.holds(in: s.labels), s.swappedItems.text)
            XCTAssertEqual(Set(s.swappedItems.articles).subtracting(s.labels).count, 1, "one article replaced")
            pairings.insert(s.caption.clauses.map { s.labels.firstIndex(of: $0.first)! + s.labels.firstIndex(of: $0.second)! }.sorted())
        }
        XCTAssertEqual(pairings.count, 3, "rows, columns and diagonals are all used: \(pairings)")
        XCTAssertEqual(FashionScene.generate(count: 5, from: tiny, seed: 3), Array(scenes.prefix(5)), "seeded")
        let caption = FashionSceneCaption(clauses: [.init(first: 7, relation: .above, second: 8), .init(first: 9, relation: .leftOf, second: 3)])
        XCTAssertEqual(caption.text, "a sneaker above a bag, an ankle boot to the left of a dress")
        XCTAssertTrue(caption.holds(in: [7, 3, 9, 8]) && caption.holds(in: [9, 7, 8, 3]))
        XCTAssertFalse(caption.holds(in: [8, 9, 7, 3]))
        XCTAssertFalse(caption.holds(in: [7, 9, 8, 2]), "a named article missing")
    }

    func testSceneImagePlacesArticlesInTheGrid() {
        let scene = FashionScene.generate(count: 1, from: tiny, seed: 1)[0]
        let image = scene.image(tiny)
        XCTAssertEqual(image.width, 4)
        for (cell, item) in scene.items.enumerated() {
            XCTAssertEqual(image[cell % 2 * 2 + 1, cell / 2 * 2], RGB(UInt8(item), UInt8(item), UInt8(item)))
        }
    }

    func testLoadsDebianFashionMNIST() throws {
        let test = try FashionMNIST.load(.test)
        XCTAssertEqual(test.count, 10000)
        XCTAssertEqual(test.height, 28)
        XCTAssertEqual(test.indicesByClass().map(\.count), [Int](repeating: 1000, count: 10))
        XCTAssertThrowsError(try FashionMNIST.load(.test, directory: URL(fileURLWithPath: "/nonexistent"))) {
            XCTAssertTrue("\($0)".contains("dataset-fashion-mnist"), "\($0)")
        }
    }

    /// Random clause features with the real clauses' token counts (so token positions are the tokenizer's).
    let clauses: FashionClauseFeatures = {
        var g = RandomGenerator(seed: 3)
        let tokenizer = try! SentenceEncoder.tokenizer(directory: ModelCache.directory(for: ModelCache.miniLM))
        let lengths = FashionClauseFeatures.texts.map { tokenizer.encode($0).ids.count }
        return FashionClauseFeatures(features: Tensor.randn([FashionClauseFeatures.count, 16, 384], using: &g), lengths: lengths)!
    }()

    /// Random region features for `count` scenes, captions from `clauses`.
    func syntheticSplit(_ count: Int, seed: UInt64) -> FashionScenesFeatures.Split {
        var g = RandomGenerator(seed: seed)
        return .init(scenes: FashionScene.generate(count: count, from: tiny, seed: seed),
                     regions: Tensor.randn([count, 49, 1280], using: &g), clauses: clauses)
    }

    func testCaptionFeaturesAreTheirClausesFeaturesInOrder() throws {
        let caption = FashionSceneCaption(clauses: [.init(first: 7, relation: .above, second: 8), .init(first: 9, relation: .leftOf, second: 3)])
        let (a, b) = (FashionClauseFeatures.row(caption.clauses[0]), FashionClauseFeatures.row(caption.clauses[1]))
        XCTAssertEqual(FashionClauseFeatures.texts[a], "a sneaker above a bag")
        XCTAssertEqual(FashionClauseFeatures.texts[b], "an ankle boot to the left of a dress")
        let short = FashionSceneCaption(clauses: [caption.clauses[1]])
        let (text, lengths) = clauses.text([caption, short])
        let (la, lb) = (clauses.lengths[a], clauses.lengths[b])
        XCTAssertEqual(lengths, [la + lb, lb])
        XCTAssertEqual(text.shape, [2, la + lb, 384])
        let f = clauses.features.scalars, out = text.scalars, t = la + lb
        XCTAssertEqual(Array(out[0..<(la * 384)]), Array(f[(a * 16 * 384)..<((a * 16 + la) * 384)]))
        XCTAssertEqual(Array(out[(la * 384)..<(t * 384)]), Array(f[(b * 16 * 384)..<((b * 16 + lb) * 384)]))
        XCTAssertEqual(Array(out[((t + lb) * 384)..<(2 * t * 384)]), [Float](repeating: 0, count: la * 384), "padding is zero")
        XCTAssertNil(FashionClauseFeatures(features: clauses.features, lengths: Array(clauses.lengths.dropFirst())))
        // The heatmaps' token positions point at the first word piece of each article's name.
        let tokenizer = try SentenceEncoder.tokenizer(directory: ModelCache.directory(for: ModelCache.miniLM))
        let ids = [a, b].flatMap { tokenizer.encode(FashionClauseFeatures.texts[$0]).ids }
        for (k, m, name) in [(0, 0, "sneaker"), (0, 1, "bag"), (1, 0, "ankle"), (1, 1, "dress")] {
            let position = clauses.tokenPosition(ofArticle: m, clause: k, in: caption, tokenizer: tokenizer)
            XCTAssertEqual(ids[position], tokenizer.encode(name).ids[1], name)
        }
    }

    func testPairScoresMatchTheModelsAndLossesTrain() throws {
        let split = syntheticSplit(6, seed: 2)
        for kind in FashionScenesModel.Kind.allCases {
            Random.seed(1)
            let model = FashionScenesModel(kind: kind, width: 16)
            model.eval()
            let images = [0, 1, 2, 5], captions = [0, 4, 8, 3]
            let direct = try model.scores(FashionScenesModel.batch(split, images: images, captions: captions))
            let scorer = try PairScorer(model: model, split: split, count: 6)
            XCTAssertEqual(direct.shape, [4])
            for (a, b) in zip(scorer.scores(images: images, captions: captions), direct.scalars) {
                XCTAssertEqual(a, b, accuracy: 1e-4 * max(1, abs(b)), "\(kind)")
            }
            let matrix = scorer.matrix()
            XCTAssertEqual(matrix.count, 36)
            XCTAssertEqual(matrix[5 * 6 + 1], scorer.scores(images: [5], captions: [3])[0], accuracy: 1e-4, "\(kind)")
            model.train()
            var generator = RandomGenerator(seed: 7)
            let (loss, grads) = try valueAndGrad(model) { m in
                try FashionScenesExperiment.loss(m, split: split, clauses: clauses, rows: [0, 3, 4], generator: &generator)
            }
            XCTAssertTrue(loss.item.isFinite && loss.item > 0, "\(kind)")
            XCTAssertFalse(grads.isEmpty)
            if kind != .dual {  // the matching models rank each scene's fresh true caption over its three negatives
                var same = RandomGenerator(seed: 7)
                let fresh = [0, 3, 4].map { FashionSceneCaption.random(for: split.scenes[$0].labels, using: &same) }
                for (row, f) in zip([0, 3, 4], fresh) {
                    let labels = split.scenes[row].labels
                    XCTAssertTrue(f.caption.holds(in: labels) && !f.swappedPositions.holds(in: labels) && !f.swappedItems.holds(in: labels))
                }
                let captions = (0..<3).flatMap { i in [fresh[i].caption, fresh[i].swappedPositions, fresh[i].swappedItems, fresh[(i + 1) % 3].caption] }
                let (text, lengths) = clauses.text(captions)
                let regions = indexSelect(split.regions, axis: 0, indices: [0, 0, 0, 0, 3, 3, 3, 3, 4, 4, 4, 4])
                let s = try model.scores(FashionScenesModel.batch(regions: regions, text: text, lengths: lengths)).scalars
                let expected = (0..<3).map { i in
                    let row = s[(4 * i)..<(4 * i + 4)]
                    return Foundation.log(row.map { Foundation.exp($0) }.reduce(0, +)) - row.first!
                }.reduce(0, +) / 3
                XCTAssertEqual(loss.item, expected, accuracy: 1e-4, "\(kind)")
            }
        }
    }

    func testExperimentEvaluationAndReport() throws {
        let features = FashionScenesFeatures(train: syntheticSplit(8, seed: 4), test: syntheticSplit(5, seed: 5), clauses: clauses,
                                             directory: FileManager.default.temporaryDirectory)
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("fashion-scenes-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: out) }
        var config = TrainingConfig()
        (config.steps, config.batchSize, config.evalEvery, config.checkpointEvery, config.outputDir) = (4, 3, 2, 4, out.path)
        var experiment = FashionScenesExperiment(features: features, config: config)
        (experiment.width, experiment.curveScenes) = (8, 3)
        var runs: [FashionScenesRun] = []
        for kind in FashionScenesModel.Kind.allCases {
            let run = try experiment.run(kind, progress: ProgressReporter(style: .silent))
            XCTAssertEqual(run.evaluation.scenes, 5)
            XCTAssertEqual(run.evaluation.imageToText.count, 3)
            XCTAssertTrue(run.evaluation.imageToText == run.evaluation.imageToText.sorted(), "R@K grows with K")
            XCTAssertEqual(run.evaluation.imageToText[2], 1, "R@10 over 5 scenes finds every caption")
            XCTAssertEqual(run.positionCurve.map { $0[0] }, [2, 4])
            runs.append(run)
        }
        let table = FashionScenesReport.table(runs)
        XCTAssertEqual(table.split(separator: "\n").count, 4)
        XCTAssertTrue(table.contains("cross-attention"))
        try FashionScenesReport.write(runs, to: out)
        for file in ["results.json", "loss-curves.png", "matching-curves.png"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: out.appendingPathComponent(file).path), file)
        }
        let tokenizer = try SentenceEncoder.tokenizer(directory: ModelCache.directory(for: ModelCache.miniLM))
        let written = try FashionScenesReport.writeHeatmaps(model: runs[2].model!, split: features.test, clauses: clauses, data: tiny,
                                                            tokenizer: tokenizer, scenes: [0, 1], to: out)
        XCTAssertEqual(written.count, 2)
        XCTAssertEqual(try PNG.read(written[0]).width, 5 * 234)
        XCTAssertEqual(try FashionScenesReport.writeHeatmaps(model: runs[0].model!, split: features.test, clauses: clauses, data: tiny,
                                                             tokenizer: tokenizer, scenes: [0], to: out).count, 0)
    }

    /// Real encoders on 2 + 2 scenes: computed once, then read back from the cache.
    func testFeaturesAreComputedOnceAndCached() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("fashion-cache-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        var log: [String] = []
        let first = try FashionScenesFeatures.load(trainScenes: 2, testScenes: 2, seed: 9, cacheRoot: root) { log.append($0) }
        XCTAssertEqual(first.train.regions.shape, [2, 49, 1280])
        XCTAssertEqual(first.test.text.shape[0], 6)
        XCTAssertEqual(first.test.text.shape[2], 384)
        XCTAssertEqual(first.clauses.features.shape[0], FashionClauseFeatures.count)
        XCTAssertTrue(log[0].hasPrefix("features: computing"), log[0])
        log = []
        let second = try FashionScenesFeatures.load(trainScenes: 2, testScenes: 2, seed: 9, cacheRoot: root) { log.append($0) }
        XCTAssertEqual(log, ["features: cached in \(first.directory.path)"])
        XCTAssertEqual(second.test.regions.scalars, first.test.regions.scalars)
        XCTAssertEqual(second.train.lengths, first.train.lengths)
        XCTAssertEqual(second.clauses.features.scalars, first.clauses.features.scalars)
        XCTAssertNotEqual(FashionScenesFeatures.key(trainScenes: 2, testScenes: 2, seed: 9),
                          FashionScenesFeatures.key(trainScenes: 2, testScenes: 2, seed: 10))
    }
}
