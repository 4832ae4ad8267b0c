import Foundation
import Imaging
@testable import OwnData
import OwnDataFixtures
import Tensors
import Training
import XCTest

/// Reading images from files as batches need them, with or without building batches ahead, trains exactly the
/// run that holds every image in memory; the prefetcher hands each step the batch it drew, recovers from a
/// step it did not foresee, and passes a decoding error on to the step.
final class BatchPrefetcherTests: XCTestCase {
    private func run(_ data: QuadrantData, _ config: ImageTextModelConfig, train manifest: Manifest, out: String, prefetch: Int,
                     logged: inout [String]) throws -> ImageTextRun.Result {
        var training = TrainingConfig()
        (training.steps, training.batchSize, training.learningRate, training.evalEvery) = (24, 6, 3e-3, 24)
        training.outputDir = data.url(out).path
        var run = ImageTextRun(model: config, training: training)
        (run.cacheRoot, run.prefetch) = (data.url("cache"), prefetch)
        var lines: [String] = []
        let result = try run.run(train: manifest, val: try Manifest.load(data.url("val.jsonl")), progress: ProgressReporter(style: .silent),
                                 log: { lines.append($0) })
        logged = lines
        return result
    }

    func testFilesReadPerBatchWithOrWithoutPrefetchingTrainTheInMemoryRun() throws {
        let data = try QuadrantData(images: 24)
        defer { data.remove() }
        let files = try Manifest.load(data.url("train.jsonl"))
        let inMemory = Manifest(url: files.url, entries: try files.entries.map { entry in
            var entry = entry
            entry.pixels = try PNG.read(entry.imageURL)
            return entry
        }, name: files.name, key: files.key)
        for config in [QuadrantData.config(), QuadrantData.config(.match, fusion: .crossAttention)] {
            var logged: [String] = []
            let held = try run(data, config, train: inMemory, out: "memory-\(config.task)", prefetch: 4, logged: &logged)
            XCTAssertFalse(logged.contains { $0.hasPrefix("loader:") }, "images in memory are not prefetched")
            let read = try run(data, config, train: files, out: "files-\(config.task)", prefetch: 0, logged: &logged)
            let ahead = try run(data, config, train: files, out: "ahead-\(config.task)", prefetch: 4, logged: &logged)
            XCTAssertEqual(read.summary.losses, held.summary.losses, "\(config.task)")
            XCTAssertEqual(ahead.summary.losses, held.summary.losses, "\(config.task)")
            XCTAssertEqual(ahead.model.stateDict().mapValues(\.scalars), held.model.stateDict().mapValues(\.scalars), "\(config.task)")
            let loader = try XCTUnwrap(logged.first { $0.hasPrefix("loader:") }, "\(logged)")
            let ready = try XCTUnwrap(Int(loader.split(separator: " ")[1]))
            XCTAssertGreaterThanOrEqual(ready, 23, "only the first step builds its own batch: \(loader)")
        }
    }

    /// Builds that record what they built and fail for image 13.
    private final class Builds: @unchecked Sendable {
        let lock = NSLock()
        var built: [[Int]] = []
        func build(_ indices: [Int], _ workers: Int) throws -> Tensor {
            lock.withLock { built.append(indices) }
            if indices.contains(13) { throw ImageError.unreadable(path: "image-13.png", reason: "gone") }
            return Tensor(shape: [indices.count], indices.map(Float.init))
        }
    }

    /// Three indices below 100 per step.
    private static func plan(_ step: Int) -> [Int] {
        var generator = RandomGenerator(seed: UInt64(step))
        return (0..<3).map { _ in generator.int(below: 100) }
    }

    func testEachStepGetsTheBatchItDrewAlsoAfterAJumpAndErrorsReachTheirStep() throws {
        let builds = Builds()
        let prefetcher = BatchPrefetcher(depth: 3, workers: 1, plan: Self.plan, build: builds.build)
        defer { prefetcher.stop() }
        var steps = 0, failures = 0
        for n in 0..<60 {
            let step = n < 30 ? n : n + 100  // a resumed run: not the step that was prefetched
            let indices = Self.plan(step)
            do {
                let images = try prefetcher.images(for: indices, step: step)
                XCTAssertEqual(images.scalars, indices.map(Float.init), "step \(step)")
                steps += 1
            } catch let error as ImageError {
                XCTAssertTrue(indices.contains(13))
                XCTAssertEqual(error, .unreadable(path: "image-13.png", reason: "gone"))
                failures += 1
            }
            if n % 10 == 0 { Thread.sleep(forTimeInterval: 0.01) }  // let it get ahead now and then
        }
        XCTAssertEqual(steps + failures, 60)
        XCTAssertEqual(prefetcher.hits + prefetcher.misses, 60)
        XCTAssertEqual(prefetcher.misses, 2, "the first step and the jump build their own")
        XCTAssertTrue((60...66).contains(builds.built.count), "each step built once, and up to 3 ahead of where the run jumped and ended: \(builds.built.count)")
    }
}
