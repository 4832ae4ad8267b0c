import Foundation
import NN
@testable import OwnData
import OwnDataFixtures
import Tensors
import Training
import XCTest

/// `RetrievalIndex` returns each query's images ordered by the model's own match score, `topK` of them; with the
/// whole index as shortlist it is full scoring (`PairScorer`'s matrix), and a shortlist is a subset of it.
final class RetrievalIndexTests: XCTestCase {
    func testResultsAreOrderedByScoreAndAWholeIndexShortlistIsFullScoring() throws {
        let data = try QuadrantData(images: 15)
        defer { data.remove() }
        for fusion in [ImageTextModelConfig.Fusion.crossAttention, .dualEncoder, .concat] {
            let run = ImageTextRun(model: QuadrantData.config(.match, fusion: fusion), training: TrainingConfig())
            let manifest = try Manifest.load(data.url("train.jsonl"))
            let config = try run.configured(for: manifest)
            Random.seed(5)
            let model = try ImageTextModel(config: config)
            let pipeline = InputPipeline(config: config, cacheRoot: data.url("cache"))
            let index = try RetrievalIndex(model: model, manifest: manifest, pipeline: pipeline)
            XCTAssertEqual(index.count, 12)
            XCTAssertEqual(index.names, (0..<15).filter { $0 % 5 != 4 }.map { "images/\($0).png" })
            let queries = ["where is the red square?", "where is the blue square?"]
            let full = try index.search(queries, topK: 12, shortlist: 12)
            let matrix = try PairScorer(model: model, data: try pipeline.prepare(manifest), texts: try pipeline.texts(queries)).matrix()
            for (q, hits) in full.enumerated() {
                XCTAssertEqual(hits.count, 12)
                XCTAssertEqual(hits.map(\.score), hits.map(\.score).sorted(by: >), "\(fusion) ordered by score")
                for hit in hits { XCTAssertEqual(hit.score, matrix[hit.image * 2 + q], accuracy: 1e-4 * max(1, abs(hit.score)), "\(fusion)") }
            }
            let short = try index.search(queries, topK: 3, shortlist: 5)
            XCTAssertEqual(short.map(\.count), [3, 3], "top_k honoured")
            for (q, hits) in short.enumerated() {
                XCTAssertEqual(hits.map(\.score), hits.map(\.score).sorted(by: >))
                XCTAssertTrue(Set(hits.map(\.image)).isSubset(of: Set(full[q].map(\.image))))
            }
        }
    }

    func testAFolderOfImagesIsAManifestOfItsPNGAndJPEGFiles() throws {
        let data = try QuadrantData(images: 3)
        defer { data.remove() }
        try Data("x".utf8).write(to: data.url("images/notes.txt"))
        let manifest = try RetrievalIndex.manifest(folder: data.url("images"))
        XCTAssertEqual(manifest.entries.map(\.image), ["0.png", "1.png", "2.png"])
        XCTAssertEqual(manifest.entries.map(\.text), ["0", "1", "2"])
    }
}
