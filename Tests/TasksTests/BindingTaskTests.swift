import CrossModal
import NN
import Tasks
import Tensors
import XCTest

/// The binding task, and the end-to-end check that cross-attention learns it where concatenation cannot.
final class BindingTaskTests: XCTestCase {
    func testBatchesAreBalancedSeededAndPadded() {
        var a = RandomGenerator(seed: 1), b = RandomGenerator(seed: 1)
        let task = BindingTask()
        let (x, labels) = task.batch(size: 400, using: &a)
        let (y, _) = task.batch(size: 400, using: &b)
        XCTAssertEqual(x.visual.scalars, y.visual.scalars, "same seed, same data")
        XCTAssertEqual(x.visual.shape, [400, 6, 8])
        XCTAssertEqual(x.text.shape, [400, 4, 8])
        let positives = labels.filter { $0 == 1 }.count
        XCTAssertTrue((160...240).contains(positives), "balanced answers, got \(positives)/400")
        let lengths = (0..<400).map { i in (0..<4).filter { !x.textPaddingMask!.values[i * 4 + $0] }.count }
        XCTAssertTrue(lengths.allSatisfy { (2...4).contains($0) })
        XCTAssertTrue(lengths.contains(2) && lengths.contains(4))
    }

    func testNegativesContainTheAskedColourAndShapeOnDifferentRegions() {
        var g = RandomGenerator(seed: 2)
        var task = BindingTask()
        task.noise = 0
        let (batch, labels) = task.batch(size: 200, using: &g)
        for i in 0..<200 {
            let token = { (t: Int, j: Int) in batch.text.data[(i * 4 + t) * 8 + j] }
            let color = (0..<4).first { token(0, $0) == 1 }!, shape = (0..<4).first { token(1, 4 + $0) == 1 }!
            let regions = (0..<6).map { r in (0..<8).map { batch.visual.data[(i * 6 + r) * 8 + $0] } }
            XCTAssertTrue(regions.contains { $0[color] == 1 } && regions.contains { $0[4 + shape] == 1 })
            XCTAssertEqual(regions.contains { $0[color] == 1 && $0[4 + shape] == 1 }, labels[i] == 1)
        }
    }

    func testCrossAttentionLearnsBindingWhereConcatFusionCannot() throws {
        let bench = BindingBenchmark()
        let d = bench.task.featureDim
        Random.seed(bench.seed)
        let cross = CrossAttentionFusion(visualDim: d, textDim: d, width: 32, heads: 4, layers: 1, dropout: 0, hidden: [32], classes: 2)
        Random.seed(bench.seed)
        let concat = ConcatFusion(visualDim: d, textDim: d, width: 32, hidden: [32], classes: 2)
        let crossResult = try bench.run(cross), concatResult = try bench.run(concat)
        print("binding task: cross-attention \(crossResult.accuracy), concat \(concatResult.accuracy)")
        XCTAssertLessThan(crossResult.losses.suffix(20).reduce(0, +) / 20, crossResult.losses.prefix(20).reduce(0, +) / 20 * 0.5)
        XCTAssertGreaterThan(crossResult.accuracy, 0.9, "cross-attention binds colour to shape")
        XCTAssertLessThan(concatResult.accuracy, 0.8, "pooled concatenation cannot bind")
        XCTAssertGreaterThan(crossResult.accuracy - concatResult.accuracy, 0.2)
    }
}
