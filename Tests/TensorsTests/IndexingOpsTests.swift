import Tensors
import TestSupport
import XCTest

/// Joining, indexing and masking ops against PyTorch fixtures and finite differences.
final class IndexingOpsTests: XCTestCase {
    func testJoinOpsMatchPyTorch() throws {
        try checkOp("concat_axis0") { x, _ in concat(x, axis: 0) }
        try checkOp("concat_axis1") { x, _ in concat(x, axis: 1) }
        try checkOp("stack_axis1") { x, _ in stack(x, axis: 1) }
    }

    func testSplitMatchesPyTorchPieceByPiece() throws {
        let fx = try Fixture.load("split_uneven")
        let x = fx.tensor("x0"), sizes = fx.ints("sizes")
        XCTAssertEqual(sizes, [2, 4, 1])
        let pieces = split(x, sizes: sizes, axis: 1)
        XCTAssertEqual(pieces.count, 3)
        for (i, p) in pieces.enumerated() { assertClose(p, fx.tensor("out\(i)"), "split piece \(i)") }
        let (_, grads) = valueAndGrad(at: [x]) { xs in
            let parts = split(xs[0], sizes: sizes, axis: -2)
            return parts.indices.map { sum(mul(parts[$0], fx.tensor("gout\($0)"))) }.reduce(Tensor(0), add)
        }
        assertClose(grads[0], fx.tensor("grad0"), rtol: 1e-4, atol: 1e-5, "split grad")
    }

    func testIndexOpsMatchPyTorch() throws {
        try checkOp("index_select_axis0") { x, fx in indexSelect(x[0], axis: 0, indices: fx.ints("indices")) }
        try checkOp("index_select_axis1") { x, fx in indexSelect(x[0], axis: 1, indices: fx.ints("indices")) }
        try checkOp("gather_axis1") { x, fx in
            gather(x[0], axis: 1, indices: fx.ints("indices"), indexShape: fx.tensor("indices").shape)
        }
        try checkOp("embedding_repeated") { x, fx in
            embedding(x[0], indices: fx.ints("indices"), shape: fx.tensor("indices").shape)
        }
    }

    func testMaskOpsMatchPyTorch() throws {
        try checkOp("masked_fill_broadcast") { x, fx in maskedFill(x[0], mask: Mask(fx.tensor("mask")), value: -1.5) }
        try checkOp("where_broadcast") { x, fx in select(Mask(fx.tensor("condition")), x[0], x[1]) }
    }

    func testMaskedMeanMatchesPyTorch() throws {
        try checkOp("masked_mean_padding") { x, fx in maskedMean(x[0], paddingMask: Mask(fx.tensor("mask"))) }
        try checkOp("masked_mean_nomask") { x, _ in maskedMean(x[0], paddingMask: nil) }
    }

    func testMaskedMeanOfAllPaddingRowIsZeroWithZeroGradient() {
        let x = Tensor(shape: [2, 2, 1], [1, 3, 5, 7])
        let mask = Mask.padding(lengths: [1, 0], maxLength: 2)
        let (y, g) = valueAndGrad { x in sum(maskedMean(x, paddingMask: mask)) }(x)
        XCTAssertEqual(maskedMean(x, paddingMask: mask).scalars, [1, 0])
        XCTAssertEqual(y.item, 1)
        XCTAssertEqual(g.scalars, [1, 0, 0, 0])
    }

    func testRepeatedIndicesAccumulateGradients() {
        let w = Tensor(shape: [3, 2], [0, 1, 2, 3, 4, 5])
        let g = grad { w in sum(embedding(w, indices: [2, 0, 2, 2], shape: [2, 2])) }(w)
        XCTAssertEqual(g.scalars, [1, 1, 0, 0, 3, 3])
        let gs = grad { x in sum(indexSelect(x, axis: 1, indices: [1, 1, 0])) }(w)
        XCTAssertEqual(gs.scalars, [1, 2, 1, 2, 1, 2])
    }

    func testEmbeddingPaddingIndexGetsNoGradient() {
        let w = Tensor(shape: [3, 2], [0, 1, 2, 3, 4, 5])
        let g = grad { w in sum(embedding(w, indices: [2, 1, 1], shape: [3], paddingIndex: 1)) }(w)
        XCTAssertEqual(g.scalars, [0, 0, 0, 0, 1, 1])
    }

    func testFiniteDifferences() {
        var rng = RandomGenerator(seed: 3)
        let a = Tensor.randn([2, 3, 4], using: &rng), b = Tensor.randn([2, 1, 4], using: &rng)
        let c = Tensor.randn([2, 2, 4], using: &rng)
        checkGradientsNumerically([a, b, c]) { x in concat(x, axis: 1) }
        checkGradientsNumerically([a, a]) { x in concat(x, axis: -1) }
        checkGradientsNumerically([a]) { x in
            let p = split(x[0], sizes: [1, 0, 3], axis: 2)
            return concat([p[2], p[0] * 2], axis: 2)
        }
        checkGradientsNumerically([a, a * 2]) { x in stack(x, axis: 0) }
        checkGradientsNumerically([a, a]) { x in stack(x, axis: -1) }
        checkGradientsNumerically([a]) { x in indexSelect(x[0], axis: 2, indices: [3, 0, 3, 1, 3]) }
        checkGradientsNumerically([a]) { x in
            gather(x[0], axis: 0, indices: [1, 0, 1, 1, 0, 0, 1, 1, 0, 1, 1, 1], indexShape: [3, 2, 2])
        }
        checkGradientsNumerically([a]) { x in
            gather(x[0], axis: 2, indices: [3, 3, 0, 2, 1, 1, 0, 0, 3, 2, 2, 1], indexShape: [2, 3, 2])
        }
        let w = Tensor.randn([5, 3], using: &rng)
        checkGradientsNumerically([w]) { x in embedding(x[0], indices: [4, 1, 4, 0, 4, 2], shape: [3, 2]) }
        let m = Mask(shape: [3, 1], [true, false, true])
        checkGradientsNumerically([a]) { x in maskedFill(x[0], mask: m, value: 7) }
        let cond = Mask(shape: [1, 3, 4], (0..<12).map { $0 % 3 == 0 })
        checkGradientsNumerically([b, Tensor.randn([3, 1], using: &rng)]) { x in select(cond, x[0], x[1]) }
        let pad = Mask.padding(lengths: [2, 0], maxLength: 3)
        checkGradientsNumerically([a]) { x in maskedMean(x[0], paddingMask: pad) }
        checkGradientsNumerically([a]) { x in maskedMean(x[0], paddingMask: nil) }
    }

    func testSelectMatchesMaskedFillAndBroadcastsCondition() {
        var rng = RandomGenerator(seed: 5)
        let x = Tensor.randn([2, 3], using: &rng)
        let m = Mask(shape: [3], [false, true, false])
        let viaSelect = select(m, Tensor(shape: [1], [9]), x)
        assertClose(viaSelect, maskedFill(x, mask: m, value: 9), "select vs maskedFill")
        XCTAssertEqual(viaSelect.scalars[1], 9)
        XCTAssertEqual(viaSelect.scalars[0], x.scalars[0])
    }

    /// Sizes large enough that forward and backward split across cores; checked against plain loops.
    func testLargeScatterAndGatherSplitAcrossCoresMatchLoops() {
        var rng = RandomGenerator(seed: 9)
        let (rows, dim, count) = (64, 512, 3000)
        let w = Tensor.randn([rows, dim], using: &rng), gout = Tensor.randn([count, dim], using: &rng)
        let ids = (0..<count).map { _ in rng.int(below: rows) }
        let gw = grad { w in sum(mul(embedding(w, indices: ids, shape: [count]), gout)) }(w)
        var expected = [Float](repeating: 0, count: rows * dim)
        for (k, r) in ids.enumerated() { for j in 0..<dim { expected[r * dim + j] += gout.data[k * dim + j] } }
        assertClose(gw, Tensor(shape: [rows, dim], expected), "embedding scatter-add")

        let x = Tensor.randn([64, 8, 300], using: &rng)
        let index = (0..<(64 * 6 * 300)).map { _ in rng.int(below: 8) }
        let g = Tensor.randn([64, 6, 300], using: &rng)
        let (y, gx) = valueAndGrad { x in sum(mul(gather(x, axis: 1, indices: index, indexShape: [64, 6, 300]), g)) }(x)
        var value: Float = 0, expectedGx = [Float](repeating: 0, count: x.count)
        for a in 0..<64 {
            for t in 0..<6 {
                for j in 0..<300 {
                    let e = (a * 6 + t) * 300 + j, src = (a * 8 + index[e]) * 300 + j
                    value += x.data[src] * g.data[e]
                    expectedGx[src] += g.data[e]
                }
            }
        }
        XCTAssertEqual(y.item, value, accuracy: 1e-2 * max(1, abs(value)))
        assertClose(gx, Tensor(shape: x.shape, expectedGx), "gather scatter-add")
    }
}
